"""What members say: one text builder per *act* (the intent behind a message).

Role detectors look for cue words (请问, 哈哈, 群公告, 加V ...).  To keep the
planted roles from being trivially separable, the builders sprinkle the same
filler words everywhere, vary lengths a lot, ask questions without a question
mark, and let every role use several acts (see ``model.ROLE_STYLE``).
All builders take a ``random.Random`` and a ``Topic`` (``model._BUILDERS`` calls them alike,
so those that ignore the topic name it ``_t``) and are cheap: they run
once per generated message.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Topic:
    label: str           # appears in group names
    nouns: tuple[str, ...]
    verbs: tuple[str, ...]
    products: tuple[str, ...]  # what advertisers and operators push


TOPICS: tuple[Topic, ...] = (
    Topic("摄影", ("光圈", "快门", "镜头", "ISO", "白平衡", "构图", "长焦", "人像", "夜景", "RAW格式", "调色",
                 "Lightroom", "三脚架", "滤镜", "对焦", "曝光补偿"), ("调", "设置", "拍", "修", "选", "练"),
          ("二手镜头", "摄影课", "修图预设")),
    Topic("PPT", ("模板", "配色", "字体", "动画", "排版", "图表", "母版", "版式", "图标", "SmartArt", "转场",
                "演讲稿", "封面页", "目录页"), ("做", "改", "排", "调", "套用", "导出"),
          ("PPT模板会员", "设计课", "字体包")),
    Topic("考研", ("英语一", "数学二", "政治", "专业课", "真题", "错题本", "复试", "调剂", "择校", "单词",
                 "长难句", "作文模板", "肖四", "网课"), ("背", "刷", "复习", "准备", "报", "看"),
          ("考研资料", "押题卷", "一对一辅导")),
    Topic("跑步", ("配速", "心率", "跑鞋", "半马", "全马", "间歇跑", "LSD", "膝盖", "拉伸", "步频", "跑量",
                 "补给", "越野", "体脂"), ("跑", "练", "调整", "控制", "买", "恢复"),
          ("跑鞋", "运动手表", "马拉松名额")),
    Topic("理财", ("基金", "定投", "指数", "债券", "股票", "仓位", "止盈", "回撤", "ETF", "年化", "保险",
                 "可转债", "红利", "资产配置"), ("买", "卖", "配", "定投", "看", "算"),
          ("理财课", "内部消息", "投资策略")),
    Topic("编程", ("Python", "爬虫", "pandas", "报错", "环境变量", "虚拟环境", "Git", "正则", "接口", "数据库",
                 "Docker", "算法题", "面试", "Linux"), ("装", "配", "写", "调试", "部署", "学"),
          ("编程课", "云服务器", "简历代写")),
    Topic("育儿", ("辅食", "疫苗", "早教", "睡眠", "奶粉", "幼儿园", "绘本", "湿疹", "断奶", "纸尿裤",
                 "发烧", "身高", "兴趣班", "英语启蒙"), ("喂", "选", "报", "买", "处理", "坚持"),
          ("奶粉", "早教课", "儿童绘本")),
    Topic("游戏", ("排位", "上分", "英雄", "出装", "皮肤", "战队", "段位", "版本", "开黑", "铭文", "打野",
                 "辅助", "连败", "赛季"), ("玩", "打", "上", "练", "出", "配"),
          ("代练", "皮肤", "游戏账号")),
    Topic("读书", ("这本书", "书单", "读书笔记", "作者", "章节", "小说", "纸质书", "电子书", "Kindle",
                 "读后感", "共读", "推荐书"), ("读", "看", "写", "推荐", "借", "整理"),
          ("读书会员", "电子书合集", "听书卡")),
    Topic("烘焙", ("面粉", "黄油", "烤箱", "戚风", "发酵", "奶油", "温度", "模具", "吐司", "马卡龙",
                 "糖粉", "酵母", "打发", "裱花"), ("烤", "打发", "揉", "发", "做", "买"),
          ("烘焙工具", "烘焙课", "进口黄油")),
)

def _c(r: random.Random, seq: Any) -> Any:
    """``r.choice`` without its rejection sampling: about a third faster, and this runs per message."""
    return seq[int(r.random() * len(seq))]


FILL_PRE = ("", "", "", "", "", "嗯", "啊", "其实", "感觉", "话说", "诶", "emmm", "那个", "就是", "我觉得")
FILL_SUF = ("", "", "", "", "", "", "吧", "啊", "哈", "呢", "了", "。", "！", "~", "哈哈", "[表情]", "😂",
            "...", "hhh")


def _noise(r: random.Random, s: str) -> str:
    return _c(r, FILL_PRE) + s + _c(r, FILL_SUF)


def _n(r: random.Random, t: Topic) -> str:
    return _c(r, t.nouns)


# --- organizer -------------------------------------------------------------------------------------

def announce(r: random.Random, t: Topic) -> str:
    p = r.random()
    if p < 0.35:
        lines = [_c(r, ["@全体成员 【群公告】", "【群公告】", "@全体成员 群公告：", "群公告"]),
                 _c(r, [f"本群为{t.label}交流群，欢迎大家分享经验、互相帮助。",
                           f"最近新朋友比较多，再说一下{t.label}群的几点要求：",
                           "为了大家有更好的交流环境，请遵守以下规定："])]
        for i, rule in enumerate(r.sample(_RULES, r.randint(2, 4)), 1):
            lines.append(f"{i}. {rule}")
        if r.random() < 0.4:
            lines += ["", "感谢配合！"]
        return "\n".join(lines)
    if p < 0.55:
        return _c(r, ["@全体成员 请大家把群名片改成 城市-昵称-职业，方便交流",
                         "@全体成员 本周精华已整理到群文件，没看的可以去看看",
                         f"@全体成员 {_n(r, t)}相关的资料已经上传群文件了",
                         "群文件里有新手入门指南，新进群的先看一下",
                         "@全体成员 明天起每天早上发一篇干货，记得看"])
    if p < 0.8:
        return _c(r, ["提醒一下：群里禁止发广告，发现直接踢，谢谢配合",
                         "再说一遍，不要刷屏，不要发链接",
                         f"@全体成员 有问题直接在群里问，{t.label}相关的都可以", "群规在群公告，请大家遵守"])
    return f"@全体成员 {_c(r, ['本周', '这个月', '最近'])}群里{_n(r, t)}的讨论很精彩，大家继续保持"


_RULES = ("禁止发广告、二维码、拉人链接", "禁止刷屏，不要发无意义的表情", "友善交流，不要人身攻击",
          "提问前先搜一下群文件", "群名片改成 城市-昵称", "不要私加群友推销", "违反群规的直接移出本群",
          "每周五晚上群内分享，欢迎报名")


def event(r: random.Random, t: Topic) -> str:
    n = _n(r, t)
    p = r.random()
    if p < 0.3:
        return f"@全体成员 今晚8点 直播分享《{n}入门到进阶》，记得准时来"
    if p < 0.5:
        return (f"【活动预告】本周六下午2点 线下活动\n地点：{_c(r, ['咖啡馆', '会议室', '公园门口'])}\n"
                f"主题：{n}\n报名请接龙👇")
    if p < 0.7:
        return f"明天晚上7点半腾讯会议，会议号 {r.randint(100, 999)} {r.randint(100, 999)} {r.randint(100, 999)}，聊聊{n}"
    if p < 0.85:
        return f"本月{t.label}打卡活动开始啦，连续打卡21天送{_c(r, t.products)}，今晚8点开始"
    return f"今晚8点 直播，嘉宾分享{n}的经验，有问题可以提前在群里留言"


def welcome(r: random.Random, t: Topic, who: str = "") -> str:
    at = f"@{who} " if who else ""
    return _c(r, [f"欢迎新朋友{at}入群！先看下群公告哦", f"欢迎{at}[鼓掌]", f"欢迎欢迎 {at}新朋友可以先做个自我介绍",
                     f"欢迎新朋友{at}，有{t.label}问题随时问", f"{at}欢迎加入，群规见群公告",
                     "欢迎新朋友", "欢迎新进群的小伙伴们，麻烦改下群名片"])


def checkin(r: random.Random, t: Topic) -> str:
    p = r.random()
    if p < 0.35:
        return "打卡"
    if p < 0.55:
        return f"Day{r.randint(1, 60)} 打卡：{_c(r, t.verbs)}{_n(r, t)}{r.randint(10, 90)}分钟"
    if p < 0.7:
        return f"#打卡# 第{r.randint(1, 100)}天"
    if p < 0.85:
        return _c(r, ["今日打卡✅", "签到", "打卡打卡", "今日已打卡"])
    return f"打卡\n今天{_c(r, t.verbs)}了{_n(r, t)}\n明天继续"


def rollcall(r: random.Random, _t: Topic) -> str:
    return _c(r, ["今天晚上20:00本群将调整一部分长期潜水不说话的小伙伴,在的请打1",
                     "@全体成员 今天晚上20:00本群将调整一部分长期潜水不说话的小伙伴,在的请打1",
                     "@全体成员 今晚8点清理长期潜水的群友，还在的扣1",
                     "今天晚上20:00本群将调整一部分长期潜水不说话的小伙伴，在的请打1，谢谢配合"])


def rollcall_answer(r: random.Random, _t: Topic) -> str:
    return _c(r, ("1", "1", "1", "1", "在", "到", "+1", "1[表情]", "在的", "11", "在在在", "还在还在", "1 ",
                     "1️⃣", "在！"))


def org_reply(r: random.Random, t: Topic) -> str:
    return _c(r, ["已经在处理了", "收到，会加强管理", "广告已经踢了", "大家有建议可以私聊我",
                     f"后面会多组织点{t.label}相关的活动", "这个我们会注意的，谢谢提醒", "已踢"])


def kick_notice(r: random.Random, _t: Topic) -> str:
    return _c(r, ["发广告的已踢", "广告已清理", "再发广告直接踢"])


# --- thinker ----------------------------------------------------------------------------------------

_LONG = ("我说下我的理解：{n}本质上是{n2}的问题，", "很多人一开始就纠结{n}，其实{n2}更重要。",
         "举个例子，{n}如果{v}不好，后面{n2}再怎么{v2}都没用。", "我自己的做法是每周固定时间{v}{n}，坚持了三个月效果很明显。",
         "另外{n}这块可以参考一下官方教程，讲得挺清楚的。", "总结一下：先把{n}搞明白，再去折腾{n2}，别本末倒置。",
         "有几个常见误区：一是只看{n}不看{n2}，二是{v}太急。", "从我这两年的经验看，{n}没有标准答案，要看具体情况。",
         "{n}和{n2}其实是相关的，{v}的时候要一起考虑。", "如果是新手，建议从{n}开始，不要一上来就{v}{n2}。",
         "之前群里讨论过{n}，我补充一点：{v}之前先想清楚目的。", "说白了就是多{v}多总结，{n}这种东西靠积累。",
         "数据上看，{n}提升最明显的是前两个月，之后会进入平台期。", "我踩过的坑是{n}，当时{v}错了方向，浪费了很多时间。")


def long(r: random.Random, t: Topic) -> str:
    k = r.randint(2, 6)
    parts = []
    for _ in range(k):
        parts.append(_c(r, _LONG).format(n=_n(r, t), n2=_n(r, t), v=_c(r, t.verbs), v2=_c(r, t.verbs)))
    p = r.random()
    if p < 0.25:  # paragraphs separated by a blank line: one message, not two
        cut = r.randint(1, k - 1)
        return "".join(parts[:cut]) + "\n\n" + "".join(parts[cut:])
    if p < 0.4:
        return "\n".join(f"{i}. {s}" for i, s in enumerate(parts, 1))
    return _c(r, FILL_PRE) + "".join(parts)


_ANSWER = ("{n}的话建议先{v}一下，然后看{n2}", "一般{n}{v}到合适就行，不用太纠结", "我之前也遇到过，{n}那里{v}一下就好了",
           "看你的需求，{n}适合入门，{n2}适合进阶", "可以试试先{v}{n}，不行再换{n2}", "这个要看{n}，群文件里有教程",
           "{n}不用买太贵的，够用就行", "先别急着{v}，把{n}弄清楚", "你这个是{n}的问题，{v}一下{n2}试试",
           "我一般是先{v}{n}再{v2}{n2}，顺序反了就容易出问题", "网上说法很多，我个人经验是{n}更重要")


def answer(r: random.Random, t: Topic) -> str:
    s = _c(r, _ANSWER).format(n=_n(r, t), n2=_n(r, t), v=_c(r, t.verbs), v2=_c(r, t.verbs))
    if r.random() < 0.3:
        s += "，" + _c(r, _ANSWER).format(n=_n(r, t), n2=_n(r, t), v=_c(r, t.verbs), v2=_c(r, t.verbs))
    return _noise(r, s)


_OPINION = ("{n}还是挺重要的", "{n}这个其实看个人习惯", "同意楼上，{n}确实要{v}", "不太认同，{n}没那么玄乎",
            "{n}我觉得性价比不高", "说得对，{n}要慢慢来", "我也是这么{v}的", "{n}最近变化挺大的",
            "{n}这个思路不错", "还是要多{v}，光看没用")


def opinion(r: random.Random, t: Topic) -> str:
    return _noise(r, _c(r, _OPINION).format(n=_n(r, t), v=_c(r, t.verbs)))


# --- joker ------------------------------------------------------------------------------------------

def laugh(r: random.Random, _t: Topic) -> str:
    return _c(r, ("哈哈哈", "哈哈哈哈哈", "哈哈", "233", "2333333", "笑死", "hhhh", "哈哈[表情]", "😂😂😂",
                     "哈哈哈哈哈哈哈哈", "笑死我了", "hhhhhhh", "233333", "哈哈哈[表情][表情]", "噗"))


def banter(r: random.Random, t: Topic) -> str:
    return _c(r, ("你太逗了", "你这是凡尔赛吧", "我信你个鬼", "狗头保命", "离谱", "绝了", "6666", "awsl",
                     "笑不活了", "好家伙", "又来了又来了", "你怕不是个天才", "大佬带带我", "我直接好家伙",
                     "别说了我已经哭了", f"{_n(r, t)}？不存在的", "就这？", "666666", "不愧是你",
                     "你们城里人真会玩", "下次一定", "我裂开了", "芜湖起飞", "妙啊"))


def sticker(r: random.Random, _t: Topic) -> str:
    return _c(r, ("[表情]", "[表情]", "[表情][表情]", "[表情]", "[表情][表情][表情]"))


def image(r: random.Random, t: Topic) -> str:
    p = r.random()
    if p < 0.6:
        return "[图片]"
    if p < 0.75:
        return "[图片][图片]"
    return _c(r, ["[图片]看这个", "[图片]\n如图", f"[图片]我的{_n(r, t)}", "分享一张[图片]", "[图片]哈哈"])


def redpacket(r: random.Random, _t: Topic) -> str:
    return _c(r, ("[QQ红包]我发了一个“拼手气红包”，请使用新版手机QQ查收红包。",
                     "[QQ红包]我发了一个“口令红包”，请使用新版手机QQ查收红包。"))


def thanks(r: random.Random, _t: Topic) -> str:
    return _c(r, ("谢谢老板", "谢谢老板[表情]", "老板大气", "手慢了", "谢谢", "感谢红包", "抢到了哈哈", "又没抢到"))


# --- asker ------------------------------------------------------------------------------------------

_Q = ("请问{n}怎么{v}？", "{n}一般怎么{v}啊", "有没有人知道{n}和{n2}哪个好", "求推荐{n}", "新手问一下{n}要{v}吗",
      "{n}如何{v}比较好", "有人用过{n}吗？", "{n}是不是一定要{v}", "大佬们{n}怎么{v}", "问下{n}有什么讲究",
      "谁有{n}的资料 求分享", "{n}老是出问题怎么办", "请问大家{n}多久{v}一次", "{n}和{n2}有什么区别？",
      "有没有人{v}过{n}", "想问下{n}怎么选", "{n}这样{v}对吗？？", "怎么{v}{n}啊 求助", "{n}到底要不要{v}",
      "请教一下{n}的问题")


def question(r: random.Random, t: Topic) -> str:
    s = _c(r, _Q).format(n=_n(r, t), n2=_n(r, t), v=_c(r, t.verbs))
    if r.random() < 0.3:  # many real questions drop the mark
        s = s.rstrip("？?")
    if r.random() < 0.15:
        s = "[图片]\n" + s
    return _c(r, FILL_PRE) + s


def reask(r: random.Random, _t: Topic) -> str:
    return _c(r, ("有人吗", "顶一下", "没人知道吗", "？", "有大佬知道吗", "再问一下", "求回复"))


def ack(r: random.Random, _t: Topic) -> str:
    return _c(r, ("收到", "好的", "好", "ok", "OK", "👍", "收到收到", "谢谢", "谢谢大佬", "感谢分享", "学到了",
                     "明白了", "嗯嗯", "好的谢谢", "懂了", "涨知识了", "马克", "mark", "好的我试试", "原来如此"))


# --- challenger -------------------------------------------------------------------------------------

def complain(r: random.Random, t: Topic) -> str:
    return _c(r, ("群主能不能管管", "这群越来越水了", "广告太多了", "没意思", "再这样我退了", "天天刷屏烦不烦",
                     "管理员呢？广告都没人管", "能不能别发这些没用的", "这群还有人说正事吗",
                     f"建群的时候说好的{t.label}交流，现在全是水", "屏蔽了屏蔽了", "群主出来说句话",
                     "这种群还有什么意思", f"{t.label}群变成广告群了", "又是广告，服了", "管管吧求你们了",
                     "再不管我就退群了", "说实话这群质量越来越差", "水群的能不能去别的群水"))


def agree(r: random.Random, _t: Topic) -> str:
    return _c(r, ("确实", "+1 同感", "确实广告太多", "同意", "是的", "早就该管了"))


# --- everyone ---------------------------------------------------------------------------------------

_CHAT = ("今天好热啊", "下班了下班了", "有人在吗", "刚看到消息", "周末有人出去玩吗", "这个我也想知道", "晚上吃啥",
         "最近好忙", "{n}最近涨价了", "早上好", "晚安", "中午吃了个{food}", "刚到家", "今天又加班", "好久没来群里了",
         "群里好热闹", "我来晚了", "周末去{v}{n}了", "有一起的吗", "困死了", "外面下雨了", "在上班摸鱼",
         "昨天{v}{n}到半夜", "最近{n}挺火的", "羡慕了", "有道理")


def chat(r: random.Random, t: Topic) -> str:
    s = _c(r, _CHAT).format(n=_n(r, t), v=_c(r, t.verbs), food=_c(r, ("麻辣烫", "黄焖鸡", "沙拉", "面")))
    return _noise(r, s)


def festive(r: random.Random, _t: Topic) -> str:
    return _c(r, ("新年快乐！", "过年好", "给大家拜年了[表情]", "新春快乐 万事如意", "新年快乐[表情][表情]",
                     "[图片]\n新年快乐", "大家过年好啊", "新年大吉"))


def all_done(r: random.Random, _t: Topic) -> str:
    return _c(r, ("清理完毕，感谢大家配合", "已清理一批潜水的，谢谢大家", "今天的清理结束了，留下的都是真爱"))


def greeting(r: random.Random, t: Topic) -> str:
    return _c(r, ("大家好", "大家好，新人报到", f"大家好，刚开始学{t.label}，请多指教", "hello", "新人求带",
                     "大家好[表情]", "来了来了"))


def flood(r: random.Random, _t: Topic) -> str:
    return _c(r, ("1", "1", "1", "+1", "111", "1[表情]", "1", "扣1", "+1", "6", "1111", "接", "1"))


def flood_start(r: random.Random, _t: Topic) -> str:
    return _c(r, ("还在的扣1", "领资料的扣1", "收到的回1", "接龙：要的扣1", "想要的+1", "1"))


def link(r: random.Random, t: Topic) -> tuple[str, str, str]:
    """(caption, title, url): QQ shows caption+url as text, WeChat a share card."""
    slug = "".join(_c(r, "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8))
    url = _c(r, (f"https://mp.weixin.qq.com/s/{slug}", f"https://www.bilibili.com/video/BV1{slug}",
                    f"https://zhuanlan.zhihu.com/p/{r.randint(100000000, 999999999)}",
                    f"https://b23.tv/{slug[:7]}", f"http://t.cn/A6{slug}"))
    title = _c(r, (f"{_n(r, t)}完全指南", f"关于{_n(r, t)}的10个误区", f"新手必看：{_n(r, t)}入门",
                      f"{t.label}圈最近很火的一篇文章", f"{_n(r, t)}实测对比"))
    caption = _c(r, ("", "", "分享一篇", "这篇写得不错", f"推荐：{title}", "看看这个", f"{title}"))
    return caption, title, url


# --- advertiser -------------------------------------------------------------------------------------

def ad_templates(r: random.Random, t: Topic, handle_qq: str) -> list[str]:
    """An advertiser's one to three fixed texts, posted again and again verbatim."""
    vx = _c(r, ("vx", "V", "薇", "威信", "wx", "加V", "微信")) + _c(r, (":", "：", " ", "")) + "".join(
        _c(r, "abcdefghjkmnpqrstuvwxyz0123456789") for _ in range(r.randint(6, 10)))
    slug = "".join(_c(r, "abcdefghijkmnpqrstuvwxyz23456789") for _ in range(6))
    prod = _c(r, t.products)
    pool = [f"【兼职招聘】宝妈学生党均可，手机操作，日结{_c(r, (200, 300, 500))}+，有意者{vx}",
            f"代理招募，一件代发，零库存，加微信{vx}详聊",
            f"诚招兼职 在家可做 时间自由 QQ：{handle_qq}",
            f"低价出{prod}，需要的私聊，{vx}",
            f"🔥{prod}限时优惠🔥 点击领取 https://u.jd.com/{slug} 手慢无",
            f"【招聘】{_c(r, ('客服', '打字员', '网络推广'))}，月入过万，{vx}",
            f"内部渠道{prod}，比官方便宜一半，加V了解 {vx}",
            f"需要{prod}的看过来👇👇\n{vx}\n诚信经营 不满意包退",
            f"刷单返利，每单{r.randint(5, 30)}元，{vx}，名额有限"]
    return r.sample(pool, r.randint(1, 3))


def recall_text(name: str, platform: str) -> str:
    return f"{name}撤回了一条消息" if platform == "qq" else f"\"{name}\"撤回了一条消息"
