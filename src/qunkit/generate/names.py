"""Nicknames, QQ numbers, wxids and group names for synthetic groups.

Real group cards are messy, and the parsers must survive that: names carry
spaces, ASCII and full-width parentheses (so a header's id is the *last*
``(...)``), emoji, ``城市-名字`` cards and English names.  Everything here is
invented; no real person's data.
"""

from __future__ import annotations

import random
import string

SURNAMES = "张王李刘陈杨赵黄周吴徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞", "平", "刚", "婷",
         "浩然", "子轩", "雨涵", "欣怡", "梓萱", "思远", "嘉怡", "俊杰", "晓东", "海燕", "建国", "文博", "一鸣",
         "佳琪", "志强", "丽娟", "晨阳", "若曦", "宇航", "诗琪", "天佑", "梦瑶", "家豪"]
PET = ["小鱼", "阿杰", "大壮", "老王", "小林", "晓晓", "木子", "阿飞", "糖糖", "豆豆", "小七", "阿狸", "大白",
       "小雨", "明明", "佳佳", "乐乐", "安安", "一一", "南风", "北辰", "清风", "半夏", "若水", "浅笑", "晨曦",
       "星河", "子墨", "墨白", "阿珍", "胖虎", "二狗", "小黑", "橙子", "西瓜", "土豆", "小满", "阿强", "老李",
       "老张", "小周", "阿May", "大雄", "静香", "团子", "包子", "饺子", "馒头"]
PHRASES = ["橘子汽水", "山间明月", "快乐的小熊", "不吃香菜", "今天也要加油", "奔跑的蜗牛", "夜猫子", "咸鱼翻身",
           "一只猫", "深海的鱼", "路过的风", "人间值得", "佛系青年", "早睡早起", "月亮不睡我不睡", "追风少年",
           "柠檬不酸", "吃不胖的胖子", "隔壁老王", "星星点灯", "温柔的晚风", "一杯清茶", "不知道叫啥",
           "随遇而安", "岁月静好", "努力的小白", "爱吃鱼的猫", "风吹麦浪", "平平无奇", "打工人", "干饭人",
           "学习使我快乐", "明天会更好", "海阔天空", "云淡风轻", "小确幸", "慢慢来", "知足常乐", "向日葵",
           "薄荷糖", "蓝色星球", "晴天娃娃", "半糖主义", "一路向北", "失眠的羊"]
ENGLISH = ["Tony", "Amy", "Kevin", "Lemon", "Coco", "Jason", "Lily", "Sunny", "Leo", "Vivian", "Echo", "Jack",
           "Mia", "Allen", "Cindy", "Bruce", "Grace", "Eric", "Nancy", "Peter", "Zoe", "Ryan", "Ivy", "Frank"]
CITIES = ["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "西安", "重庆", "苏州", "长沙", "郑州",
          "天津", "青岛", "厦门", "合肥", "昆明", "大连", "沈阳"]
JOBS = ["设计", "运营", "程序员", "老师", "学生", "宝妈", "销售", "会计", "产品", "HR", "摄影师", "自由职业"]
EMOJI = ["🌸", "🍀", "🐱", "✨", "🌙", "☀️", "🍊", "🐟", "🎈", "🌈", "🐼", "💤", "🔥", "🍉"]
SUFFIX = ["老师", "同学", "哥", "姐", "酱", "2023", "666", "呀", "_", "ing", "本尊", "君"]
NOTES = ["北京", "深圳", "广告勿扰", "已婚", "在职", "备考中", "新手", "潜水中", "勿扰", "95后", "宝妈", "上海"]
QQ_TITLES_MEMBER = ["【冒泡】", "【活跃】", "【话唠】", "【吐槽】", "【潜水】", "【传说】"]

GROUP_SUFFIX = ["交流群", "学习群", "爱好者", "互助群", "粉丝群", "打卡群", "同城群", "吹水群", "官方群"]


def nickname(r: random.Random) -> str:
    """One display name drawn from the patterns real groups show."""
    p = r.random()
    if p < 0.18:
        base = r.choice(SURNAMES) + r.choice(GIVEN)
    elif p < 0.38:
        base = r.choice(PET)
    elif p < 0.58:
        base = r.choice(PHRASES)
    elif p < 0.68:
        base = r.choice(ENGLISH)
    elif p < 0.80:  # group-card convention 城市-名字(-职业)
        sep = r.choice(["-", "-", " ", "｜", "_"])
        who = r.choice(PET + ENGLISH) if r.random() < 0.7 else r.choice(SURNAMES) + r.choice(GIVEN)
        base = f"{r.choice(CITIES)}{sep}{who}"
        if r.random() < 0.4:
            base += f"{sep}{r.choice(JOBS)}"
    elif p < 0.88:  # a note in parentheses, ASCII or full-width
        left, right = r.choice([("(", ")"), ("（", "）")])
        base = f"{r.choice(PET + ENGLISH + PHRASES)}{left}{r.choice(NOTES)}{right}"
    elif p < 0.94:  # a space inside
        base = r.choice([f"{r.choice(ENGLISH)} {r.choice(SUFFIX[:4])}", f"{r.choice(SURNAMES)} 先生",
                         f"{r.choice(ENGLISH)} {r.choice(SURNAMES)}", f"{r.choice(PET)} {r.choice(PET)}"])
    else:
        base = r.choice(PET + ENGLISH) + r.choice(SUFFIX)
    q = r.random()
    if q < 0.10:
        base += r.choice(EMOJI)
    elif q < 0.13:
        base = r.choice(EMOJI) + base
    return base


def unique_nicknames(r: random.Random, n: int) -> list[str]:
    """``n`` distinct names: a real group can hold duplicates, but distinct names
    keep the planted truth unambiguous for name-only formats (WeChatMsg txt)."""
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        name = nickname(r)
        if name in seen:
            name = f"{name}{r.randint(1, 99)}"
            if name in seen:
                continue
        seen.add(name)
        out.append(name)
    return out


# QQ number lengths: old short numbers are rare, 9-10 digits are the bulk.
_QQ_LEN = [(5, 1), (6, 2), (7, 4), (8, 10), (9, 35), (10, 43), (11, 5)]


def qq_number(r: random.Random) -> str:
    length = r.choices([x for x, _ in _QQ_LEN], [w for _, w in _QQ_LEN])[0]
    first = str(r.randint(1, 3)) if length >= 10 else str(r.randint(1, 9))
    return first + "".join(r.choice(string.digits) for _ in range(length - 1))


def wxid(r: random.Random) -> str:
    """Most accounts keep the assigned ``wxid_`` + 14 chars; some set a custom id."""
    if r.random() < 0.8:
        return "wxid_" + "".join(r.choice(string.ascii_lowercase + string.digits) for _ in range(14))
    head = r.choice(string.ascii_lowercase)
    tail = "".join(r.choice(string.ascii_lowercase + string.digits + "_") for _ in range(r.randint(5, 15)))
    return head + tail


def member_ids(r: random.Random, n: int, platform: str, taken: set[str] | None = None) -> list[str]:
    """``n`` distinct member ids for the platform (never the QQ system id 10000)."""
    taken = set(taken or ()) | {"10000", "1000000"}
    gen = qq_number if platform == "qq" else wxid
    out: list[str] = []
    while len(out) < n:
        x = gen(r)
        if x not in taken:
            taken.add(x)
            out.append(x)
    return out


def group_id(r: random.Random, platform: str) -> str:
    if platform == "qq":
        return str(r.randint(1, 9)) + "".join(r.choice(string.digits) for _ in range(r.randint(5, 9)))
    return str(r.randint(1, 5)) + "".join(r.choice(string.digits) for _ in range(10)) + "@chatroom"


def group_name(r: random.Random, topic_label: str, number: int | None = None) -> str:
    p = r.random()
    n = number if number is not None else r.randint(1, 12)
    if p < 0.35:
        return f"{topic_label}{r.choice(GROUP_SUFFIX)}{n}群".replace("群群", "群")
    if p < 0.55:
        return f"{r.choice(CITIES)}{topic_label}{r.choice(GROUP_SUFFIX)}"
    if p < 0.7:
        return f"【{r.choice(['官方', '福利', '内部', 'VIP'])}】{topic_label}{r.choice(GROUP_SUFFIX)}({n})"
    if p < 0.85:
        return f"{topic_label}·{r.choice(['成长营', '训练营', '俱乐部', '研习社', '小分队'])}{n}期"
    return f"{r.choice(PHRASES)}的{topic_label}圈"
