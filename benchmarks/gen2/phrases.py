"""What each kind of member says, written from the practice (DOMAIN.md's role table) and nothing else.

Every ``say_*`` function takes a ``random.Random`` and the group's ``Theme`` and
returns one message body.  Bodies mix what real 社群 members type: 网络用语,
homophone typos (在/再, 的/得), emoji and QQ/WeChat faces, English words,
one-word replies, placeholders ([图片], [表情]) and the odd long post.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Theme:
    """A group's subject: what people in it talk about."""
    key: str
    title: str          # goes into the group name
    things: tuple[str, ...]      # nouns people ask about / discuss
    claims: tuple[str, ...]      # substantive sentences a thinker can build a post from
    event: str          # the group's recurring event


THEMES: tuple[Theme, ...] = (
    Theme("kaoyan", "考研互助", ("英语一", "数学二", "专业课", "408", "政治大题", "复试", "调剂", "真题", "背单词"),
          ("真题至少刷三遍，第一遍限时做，第二遍看错题逻辑，第三遍只看自己的错题本",
           "数学不要一上来就刷题，先把课本例题吃透，不然刷再多也是在原地打转",
           "英语阅读的核心是长难句，每天拆两句比多做一篇阅读管用",
           "政治前期别花太多时间，九月以后跟一个老师的节奏走就够了",
           "择校的时候一定要看近三年的复试线和录取名单，别只看学校名气",
           "专业课参考书看两遍以后就要自己画框架图，不然考场上根本串不起来"), "周日晚上的经验分享会"),
    Theme("frontend", "前端技术交流", ("vue3", "react hooks", "webpack", "vite", "typescript", "小程序", "css布局", "面试"),
          ("状态管理别一上来就上全家桶，组件自己的状态放组件里，跨页面的再抽出去",
           "性能问题先用performance面板看火焰图，别凭感觉优化，大部分时间都花在重复渲染上",
           "ts的类型不是越严越好，对外的接口写严格，内部实现可以宽一点，不然维护成本很高",
           "打包体积大先看是不是把整个lodash或者moment打进去了，按需引入能省一大半",
           "面试的时候手写代码其实看的是思路，边写边说比闷头写完强很多",
           "老项目升级建议先补测试再动依赖，不然改一处炸三处"), "每周四的技术分享"),
    Theme("photo", "摄影爱好者", ("富士", "索尼a7", "定焦", "后期", "lightroom", "扫街", "人像", "星空"),
          ("拍人像光线比器材重要得多，傍晚那半小时侧逆光随便拍都好看",
           "新手别急着换镜头，一个35定焦用一年，构图能力会涨很多",
           "后期先调白平衡和曝光，再动色彩，顺序反了怎么调都别扭",
           "扫街最重要的是脸皮厚一点，站在一个地方等画面进来，而不是到处追",
           "拍星空要看月相和光污染地图，器材再好赶上满月也白搭",
           "raw格式一定要开，很多时候救回来的就是那一点高光"), "月底的外拍活动"),
    Theme("run", "跑步打卡群", ("配速", "跑鞋", "马拉松", "膝盖", "心率", "间歇跑", "拉伸", "报名"),
          ("新手最容易犯的错是跑太快，用能说话的速度跑才是有氧，心率别超过一百五",
           "膝盖疼先别硬扛，多半是臀肌和核心没力量，练一个月深蹲会好很多",
           "跑鞋按脚型选，别看别人穿什么，去店里实际跑两步最靠谱",
           "备赛最后两周要减量，很多人越到最后越加量，比赛当天腿是沉的",
           "长距离补给每四十分钟一次，等到渴了饿了再补就晚了",
           "每周跑量增加不要超过百分之十，这条规则能避免大部分伤病"), "周六早上的集体约跑"),
    Theme("mom", "宝妈育儿交流", ("辅食", "疫苗", "幼儿园", "绘本", "湿疹", "睡眠", "奶粉", "早教"),
          ("辅食一次只加一种新食材，连续三天没反应再加下一种，过敏了也好找原因",
           "孩子哭闹别马上抱，先等几分钟看看能不能自己安静，慢慢就有规律了",
           "绘本不用买太多，一本反复讲十遍比十本各讲一遍效果好",
           "湿疹最关键是保湿，霜要厚涂，一天好几次，比用药还重要",
           "入园焦虑大人比孩子更明显，送到门口就走，别在门口拉扯",
           "早教班不是必须的，每天在家陪玩一小时专心的，比花钱上课强"), "周三晚上的育儿直播"),
    Theme("fund", "基金理财小组", ("定投", "指数基金", "债基", "止盈", "回撤", "养老金", "etf", "银行理财"),
          ("定投最难的不是选基金，是跌了百分之三十的时候还能继续投",
           "买之前先想清楚这笔钱多久不用，三年内要用的钱就别放股票基金",
           "指数基金的费率差别看起来小，十年复利下来能差出一大截",
           "止盈可以分批，到目标收益先卖一半，剩下的设回撤线",
           "不要看到热门赛道涨了才冲进去，那时候往往是半山腰",
           "资产配置比择时重要，股债比例定好了每年再平衡一次就够了"), "每月一次的持仓复盘"),
    Theme("game", "王者开黑群", ("排位", "国服", "打野", "辅助", "皮肤", "上分", "铭文", "新英雄"),
          ("打野前期最重要的是节奏，三分钟一条龙比刷野快两级更有用",
           "辅助不要一直跟着射手，视野做好了全队都轻松",
           "上分期间别玩新英雄，绝活练熟比什么都管用",
           "逆风局别急着开团，守塔等对面失误，翻盘的局一半是对面浪出来的",
           "铭文不是照抄主播的，要看自己的打法，前期压制还是后期发育",
           "连跪三把就别打了，心态崩了只会越打越掉"), "周五晚上的群内比赛"),
    Theme("read", "读书会", ("三体", "红楼梦", "百年孤独", "读书笔记", "kindle", "非虚构", "书单", "纸质书"),
          ("读书笔记不要抄原文，用自己的话写三句，过一个月还能想起来的才是真读过",
           "读经典可以先看导读，知道作者在跟谁对话，读起来就不会迷路",
           "非虚构类的书先看目录和结论章，再决定要不要细读",
           "每天读二十页比周末一口气读一百页更容易坚持下来",
           "同一本书隔几年再读感受完全不一样，所以书单不用追新",
           "读不下去的书可以放下，不是所有经典都适合现在的自己"), "每月最后一个周六的共读"),
    Theme("ai", "AI绘画交流", ("sd", "lora", "提示词", "显卡", "controlnet", "mj", "出图", "炼丹"),
          ("提示词不是越长越好，主体、风格、光线三样写清楚，剩下的交给负面词",
           "练lora数据集质量比数量重要，二十张干净的图比两百张乱七八糟的强",
           "显存不够就降分辨率先出小图，挑满意的再高清修复",
           "controlnet用好了能省一大半抽卡的时间，尤其是姿势和构图",
           "同一个种子改一个词对比着看，才知道每个词到底起什么作用",
           "商用一定要注意模型协议，很多模型是不允许商用的"), "周二晚上的作品点评"),
    Theme("ppt", "PPT设计学习", ("配色", "字体", "模板", "动画", "排版", "图表", "汇报", "母版"),
          ("一页只讲一件事，标题直接写结论，领导看三秒就知道你要说什么",
           "配色不超过三种，主色从公司logo里取，基本不会出错",
           "字体统一用一到两种，标题粗一点正文细一点，层级自然就出来了",
           "图表先想清楚要对比还是看趋势，选错图表类型数据再好也白搭",
           "动画能不用就不用，汇报场合最多用个淡入，花哨的反而减分",
           "先在纸上画结构再开ppt，直接开软件做很容易陷在排版里"), "每周一次的作业点评"),
)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红梅鑫波斌宇浩凯婷雪琳晨阳佳欣子轩梓涵一诺浩然雨桐思远嘉怡若曦俊杰"
_NICK_PARTS = ("小", "阿", "大", "老", "", "", "")
_NICK_WORDS = ("鱼", "猫", "橙子", "柠檬", "阿飞", "木木", "糖糖", "豆豆", "七七", "大白", "koala", "Leo", "Amy", "Jack",
               "momo", "Sunny", "饭团", "咸鱼", "土豆", "西瓜", "晴天", "星星", "深蓝", "风铃", "路人甲", "打工人",
               "不吃香菜", "今天也要加油", "一只仙女", "追风少年", "熬夜冠军", "躺平青年", "奶茶续命", "Kevin", "Tina",
               "向日葵", "南风", "夏天", "故事", "慢慢", "Lucky", "zz", "果冻", "山竹", "芒果", "火锅", "小熊饼干")
_NICK_TAILS = ("", "", "", "", "🌸", "✨", "~", "酱", "君", "2023", "_", "🍀", "同学", "呀", "001", "🐟")


def person_name(rng: random.Random) -> str:
    """A display name: a real-looking name, a nickname, or a name with an English or emoji tail."""
    r = rng.random()
    if r < 0.3:
        return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
    if r < 0.5:
        return rng.choice(_SURNAMES) + rng.choice(("老师", "总", "哥", "姐", "同学", "工", "医生"))
    return rng.choice(_NICK_PARTS) + rng.choice(_NICK_WORDS) + rng.choice(_NICK_TAILS)


EMOJI = ("😂", "🤣", "👍", "🙏", "😭", "🐶", "[捂脸]", "[旺柴]", "[呲牙]", "[偷笑]", "[破涕为笑]", "[强]", "[抱拳]",
         "[微笑]", "😅", "🤔", "[奸笑]", "[社会社会]", "[裂开]", "🙈", "💪", "🌹")
TYPOS = (("在", "再"), ("的", "得"), ("做", "作"), ("那", "哪"), ("已经", "以经"), ("怎么", "肿么"), ("什么", "神马"),
         ("没有", "木有"), ("这样子", "酱紫"), ("难受", "蓝瘦"), ("喜欢", "稀饭"), ("好的", "好滴"), ("是不是", "是不"))


def sprinkle(rng: random.Random, text: str, emoji: float = 0.25, typo: float = 0.12) -> str:
    """The noise of real typing: a homophone typo, a trailing emoji, a dropped full stop."""
    if rng.random() < typo:
        a, b = rng.choice(TYPOS)
        if a in text:
            text = text.replace(a, b, 1)
    if rng.random() < 0.3:
        text = text.rstrip("。")
    if rng.random() < emoji:
        text += rng.choice(EMOJI) * rng.choice((1, 1, 1, 2, 3))
    return text


# ---------------------------------------------------------------- organizer: upkeep

_RULES = ("群规：1.禁止发广告 2.禁止刷屏 3.有问题直接问，别私聊骚扰群友，违者直接踢",
          "重申一下群规：本群只聊{t}相关，广告、拉票、砍一刀一律移出，谢谢配合",
          "【群规】进群请改备注：城市+昵称+方向，三天内不改的会被清理",
          "提醒一下，发链接之前先说明是什么内容，无关链接一律撤回")
_NOTICES = ("@所有人 {e}本周照常进行，时间晚上8点，地点群里，欢迎大家准时参加",
            "【群公告】{e}改到下周，具体时间另行通知，大家互相转告一下",
            "@所有人 今天的{e}资料已经上传到群文件了，没参加的同学可以去下载",
            "@所有人 下期{e}征集分享嘉宾，想分享{x}的私我报名",
            "通知：{e}报名今晚12点截止，还没接龙的抓紧",
            "【打卡】今天第{n}天，大家记得在群里打卡，连续21天送资料包",
            "@所有人 群文件里整理了{x}的入门资料，新人先看看，很多问题里面都有答案",
            "@所有人 下周{e}主题定了：{x}，大家有想问的提前在群里留言")
_WELCOME = ("欢迎@{n} 进群🎉 先看一下群公告哈",
            "欢迎新朋友@{n} ，介绍一下自己吧，城市+方向",
            "热烈欢迎@{n} 加入大家庭！有问题随时问",
            "欢迎欢迎，@{n} 记得改一下群昵称哦")
_ROLLCALL = ("@所有人 今天晚上20:00本群将清理一部分长期潜水的小伙伴，还在的请回复1",
             "@所有人 群快满了，周末清一波不说话的，在的扣1，没回的就当不需要了哈",
             "清人预告：三个月没发言的下周统一移出，在的冒个泡")
_UPKEEP = ("大家不要刷屏了，讨论可以私聊", "已撤回，请勿在群里发无关内容", "这两天群里有点冷清，大家可以聊聊最近在{x}上的进展",
           "有问题的同学可以直接在群里问，不用私聊我", "刚才发广告的已经移出了，大家注意甄别", "收到大家的反馈了，下周改进")


def say_organizer(rng: random.Random, th: Theme, kind: str = "", newcomer: str = "") -> str:
    x, e = rng.choice(th.things), th.event
    if kind == "welcome" and newcomer:
        return sprinkle(rng, rng.choice(_WELCOME).format(n=newcomer), emoji=0.3, typo=0.05)
    if kind == "rollcall":
        return rng.choice(_ROLLCALL)
    r = rng.random()
    if r < 0.45:
        return rng.choice(_NOTICES).format(e=e, x=x, n=rng.randint(2, 60))
    if r < 0.65:
        return rng.choice(_RULES).format(t=th.title)
    return sprinkle(rng, rng.choice(_UPKEEP).format(x=x), emoji=0.15, typo=0.05)


# ---------------------------------------------------------------- thinker: substance others answer

_OPENERS = ("说一下我自己的经验吧，", "分享一点心得：", "我觉得这个问题要分开看。", "补充一下，", "之前踩过坑，说几句。",
            "个人看法哈，", "其实核心就一点：", "这个我研究过一段时间，", "认真回答一下，")
_LINKS = ("另外，", "还有就是", "而且", "所以说", "举个例子，", "说白了，", "反过来讲，", "我自己的做法是")
_CLOSERS = ("仅供参考", "大家有不同意见可以讨论", "欢迎拍砖", "希望对大家有帮助", "", "", "有问题可以@我")


def say_thinker(rng: random.Random, th: Theme, answer_to: str = "") -> str:
    """A long post of 2-4 claims with connectives; an answer names the thing asked about."""
    claims = rng.sample(th.claims, rng.choice((2, 2, 3, 4)))
    parts = [rng.choice(_OPENERS) + claims[0]]
    for c in claims[1:]:
        parts.append(rng.choice(_LINKS) + c)
    text = "。".join(parts) + "。" + rng.choice(_CLOSERS)
    if answer_to:
        text = f"关于{answer_to}，" + text
    if rng.random() < 0.15:
        text = text.replace("，", "，\n", 1)
    return sprinkle(rng, text, emoji=0.1, typo=0.08)


_SHORT_ANSWERS = ("可以看看{x}相关的资料，群文件里有", "我一般先从{x}入手", "这个取决于你的基础", "去年我也遇到过，换个思路就好了",
                  "别急，先把{x}搞明白", "建议先看官方文档", "我私你了", "看置顶那条就有")


def say_answer(rng: random.Random, th: Theme) -> str:
    """A short helpful answer (anyone can give one)."""
    return sprinkle(rng, rng.choice(_SHORT_ANSWERS).format(x=rng.choice(th.things)))


# ---------------------------------------------------------------- asker: real questions, often no "?"

_ASK = ("请问{x}有什么推荐的吗", "有没有大佬知道{x}怎么弄", "求推荐{x}入门的资料", "新人求助，{x}一直搞不定",
        "想问下大家{x}是怎么安排的", "{x}这个到底要不要花钱啊", "有人用过{x}吗，效果怎么样", "小白问一下{x}从哪开始比较好",
        "求问{x}和{y}选哪个", "各位，{x}卡住了好几天了，有什么办法吗", "有没有{x}的经验贴求分享", "{x}怎么才能提高啊",
        "请教一下{x}的问题，私聊也行", "{x}有啥坑要注意的不", "大佬们{x}一般多久能见效",
        "{x}咋整", "谁懂{x}啊 救救孩子", "{x}这样正常吗 [图片]", "求助求助，{x}", "{x}又出问题了[图片]",
        "有懂{x}的吗", "{x}是必须的吗", "我这个{x}是不是哪里不对", "萌新一枚，{x}完全看不懂", "{x}跟{y}有啥区别")


def say_asker(rng: random.Random, th: Theme) -> str:
    x, y = rng.sample(th.things, 2)
    q = rng.choice(_ASK).format(x=x, y=y)
    r = rng.random()
    if r < 0.35:
        q += rng.choice(("？", "?", "？？"))
    elif r < 0.5:
        q += rng.choice(("[抱拳]", "🙏", "，谢谢", "，在线等"))
    return sprinkle(rng, q, emoji=0.1, typo=0.15)


def say_thanks(rng: random.Random) -> str:
    return rng.choice(("谢谢大佬", "懂了懂了", "明白了，感谢", "好的谢谢🙏", "学到了", "感谢分享", "原来如此", "收藏了"))


# ---------------------------------------------------------------- joker: banter, laughter, stickers

_BANTER = ("哈哈哈哈哈", "哈哈哈", "笑死", "笑不活了", "绝了", "6666", "666", "yyds", "蚌埠住了", "真的会谢", "芜湖起飞",
           "你是不是傻?", "你这也太离谱了吧？", "救命哈哈哈哈", "我直接好家伙", "离谱他妈给离谱开门", "狗头保命",
           "哈哈哈哈哈哈哈哈哈", "大半夜的我笑出声", "hhhhh", "hhh", "你认真的吗？？", "不愧是你", "又来了又来了",
           "我裂开了", "这波我站你", "家人们谁懂啊", "主打一个陪伴", "好好好", "草", "我悟了", "就这？", "整活整活",
           "今晚谁请客", "谁还不是个宝宝呢", "摸鱼时间到", "周五了冲冲冲", "不会吧不会吧", "笑到邻居敲门")
_MEDIA = ("[表情]", "[图片]", "[动画表情]", "[表情][表情]", "[破涕为笑][破涕为笑]", "[旺柴]", "[捂脸]")


def say_joker(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.3:
        return rng.choice(_MEDIA)
    if r < 0.4:
        return "哈" * rng.randint(3, 12)
    text = rng.choice(_BANTER)
    if rng.random() < 0.25:
        text += rng.choice(EMOJI)
    return text


# ---------------------------------------------------------------- challenger: complaints aimed at the group

_COMPLAIN = ("这群规也太离谱了吧，发个链接都要报备？", "管理员自己天天发广告，还好意思说不让别人发",
             "说好的每周{e}呢，都一个月没动静了", "这群现在除了广告就是打卡，没啥干货了", "群主能不能管管，刷屏刷得我都想退了",
             "说实话这个群质量越来越差", "问个问题半天没人理，建群干嘛的", "又是收费课程广告，这群变味了",
             "定规矩的人自己不遵守，有意思吗", "我不太认同刚才管理说的，这么搞只会把人赶走",
             "每次{e}都临时取消，还不如不搞", "凭什么我发资料被撤回，他发广告就没事", "不说话就踢人？这规定太霸道了吧",
             "这么多人就几个人在聊，其他人都是来干嘛的", "管理能不能别老@所有人，消息太多了全屏蔽了",
             "感觉这群就是为了卖课拉的", "{x}这种水平的内容也叫分享？有点敷衍", "建议把群规改改，现在这样没法聊")


def say_challenger(rng: random.Random, th: Theme) -> str:
    text = rng.choice(_COMPLAIN).format(e=th.event, x=rng.choice(th.things))
    return sprinkle(rng, text, emoji=0.08, typo=0.1)


_DEFEND = ("规矩是为了大家好，有意见可以私聊我", "收到，我们反思一下", "这个情况我了解一下", "理解大家的情绪，下周恢复",
           "已经在处理了，别急", "群规是投票定的，不是我一个人说了算")


def say_defend(rng: random.Random) -> str:
    return rng.choice(_DEFEND)


# ---------------------------------------------------------------- advertiser

_COMPANIES = ("字节跳动", "星河科技", "蓝鲸教育", "优选好物", "云帆网络", "百川咨询", "锦程人力")
_ADS = ("【内推】{c}招{x}方向实习生，日薪200-400，简历发我邮箱hr{n}@163.com",
        "欢迎加入{c}！我们正在招聘{x}岗位，五险一金，有意向加v：hr_{n}",
        "代购日本药妆，正品保证，需要的加我微信dg{n}，朋友圈每天更新",
        "兼职刷单，日结，一单3-8元，手机就能做，私聊",
        "{x}全套课程原价1999，今天群内特价199，扫码 https://t.cn/{n}",
        "低价出{x}资料，9.9包邮，需要私",
        "帮忙砍一刀🙏 https://m.pdd.example/{n}",
        "免费领取{x}大礼包，加微信 wx{n} 备注群名",
        "【招聘】{c}长期招{x}兼职，时间自由，月入过万，详情加vx：job{n}",
        "@所有人 {c}新品上市，前100名下单立减50，链接：https://shop.example/{n}")


def say_advertiser(rng: random.Random, th: Theme) -> str:
    return rng.choice(_ADS).format(c=rng.choice(_COMPANIES), x=rng.choice(th.things), n=rng.randint(1000, 99999))


# ---------------------------------------------------------------- noise: trivial messages that are not a role

TRIVIAL = ("收到", "1", "1", "好的", "哈哈", "👍", "嗯嗯", "ok", "[强]", "收到收到", "好", "在")


def say_trivial(rng: random.Random) -> str:
    return rng.choice(TRIVIAL)


_EVENT_Q = ("{e}几点开始?", "{e}还有名额吗", "请问{e}在哪里看回放", "{e}是今晚吗", "{e}需要提前准备什么吗？", "{e}链接发一下呗")


def say_event_question(rng: random.Random, th: Theme) -> str:
    """A question about an event: not a notice, whoever asks it."""
    return rng.choice(_EVENT_Q).format(e=th.event.replace("每周", "").replace("每月", ""))


# ---------------------------------------------------------------- everyone: small talk (灌水) that is no role's mark

_CHAT = ("今天好冷", "下班了下班了", "刚吃完饭", "你们那边下雨了吗", "周末有人出去玩吗", "又加班到现在", "困死了",
         "明天周一了😭", "早上好", "晚安各位", "刚看到群消息", "我来晚了", "最近好忙啊", "今天{x}又没弄完",
         "刚刚在弄{x}", "有人一起去吗", "这天气真的绝", "今天状态不太好", "看了一下午{x}", "好久没冒泡了",
         "刚回来", "在地铁上", "终于放假了", "中午吃啥", "朋友圈看到有人在说{x}", "我也是", "同", "对啊",
         "是的", "嗯", "然后呢", "哈哈是的", "可以可以", "有道理", "真的吗", "啊这", "好吧", "我看看")


def say_chat(rng: random.Random, th: Theme) -> str:
    return sprinkle(rng, rng.choice(_CHAT).format(x=rng.choice(th.things)), emoji=0.2, typo=0.1)
