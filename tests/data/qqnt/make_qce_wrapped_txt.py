"""Writes qce_wrapped.txt: a QCE TXT export made with line_width=20 and message
numbers on, i.e. every line longer than 20 characters is cut into 20-character
pieces joined by a line break and two spaces (what the exporter's wrap_line
does).  The logical lines below are hand-written; the expected CSV too."""

from pathlib import Path

WIDTH = 20
logical = [
    "[QQChatExporter V5 / https://github.com/shuakami/qq-chat-exporter]",
    "[本软件是免费的开源项目~ 如果您是买来的，请立即退款！如果有帮助到您，欢迎给我点个Star~]",
    "",
    "===============================================",
    "           QQ聊天记录导出文件",
    "===============================================",
    "",
    "聊天名称: 一个名字很长很长很长很长的私聊对象",
    "聊天类型: 私聊",
    "导出时间: 2025-02-02 10:00:00",
    "",
    "",
    "[1]",
    "张三:",
    "时间: 2025-02-01 08:00:00",
    "内容: 这是一条很长很长的消息，需要被折行显示才能看完，对吧？",
    "",
    "",
    "[2]",
    "李四的名字特别特别特别特别长哦哦哦哦哦哦:",
    "时间: 2025-02-01 08:01:00",
    "内容: 短",
    "提及: 张三",
    "",
    "===============================================",
    "              导出完成",
    "===============================================",
]


def wrap(line: str) -> str:
    if len(line) <= WIDTH:
        return line
    return "\n  ".join(line[i:i + WIDTH] for i in range(0, len(line), WIDTH))


Path(__file__).with_name("qce_wrapped.txt").write_text("\n".join(wrap(x) for x in logical) + "\n", encoding="utf-8")
