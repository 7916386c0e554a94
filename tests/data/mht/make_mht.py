"""Writes the .mht fixtures from the hand-written HTML rows below, in the layout
the QQ message manager uses (MIME header block, one text/html part whose HTML is
a single line, then base64 image parts named {GUID}.dat).  The expected CSV files
beside them are written by hand, not from the parser."""

import base64
from pathlib import Path

HERE = Path(__file__).parent
BOUNDARY = "----=_NextPart_01D2B5A7.6E4C1A40"
HEAD = ('<html xmlns="http://www.w3.org/1999/xhtml"><head><meta http-equiv="Content-Type" content="text/html; '
        'charset=UTF-8" /><title>QQ Message</title><style type="text/css">body{font-size:12px; line-height:22px; '
        'margin:2px;}td{font-size:12px; line-height:22px;}</style></head><body><table width=100% cellspacing=0>')
FONT = "<font style=\"font-size:9pt;font-family:'宋体','MS Sans Serif',sans-serif;\" color='000000'>"


def title_rows(folder: str, chat: str) -> str:
    return ("<tr><td><div style=padding-left:10px;><br><b>消息记录（此消息记录为网页格式，不支持重新导入）</b></div></td></tr>"
            "<tr><td><div style=padding-left:10px;>&nbsp;</div></td></tr>"
            f"<tr><td><div style=padding-left:10px;>消息分组:{folder}</div></td></tr>"
            "<tr><td><div style=padding-left:10px;>&nbsp;</div></td></tr>"
            f"<tr><td><div style=padding-left:10px;>消息对象:{chat}</div></td></tr>"
            "<tr><td><div style=padding-left:10px;>&nbsp;</div></td></tr>")


def day(d: str) -> str:
    return ("<tr><td style=border-bottom-width:1px;border-bottom-color:#8EC3EB;border-bottom-style:solid;"
            f"color:#3568BB;font-weight:bold;height:24px;line-height:24px;padding-left:10px;margin-bottom:5px;>日期: {d}</td></tr>")


def msg(sender: str, clock: str, body: str, color: str = "#006EFE") -> str:
    return (f"<tr><td><div style=color:{color};padding-left:10px;><div style=float:left;margin-right:6px;>{sender}</div>"
            f"{clock}</div><div style=padding-left:20px;>{body}</div></td></tr>")


def mime(html: bytes, images: dict[str, bytes], charset: str = "utf-8", cte: str = "7bit") -> bytes:
    head = ("From: <Save by Tencent MsgMgr>\r\nSubject: Tencent IM Message\r\nMIME-Version: 1.0\r\n"
            f"Content-Type:multipart/related;\r\n\tcharset=\"{charset}\"\r\n\ttype=\"text/html\";\r\n"
            f"\tboundary=\"{BOUNDARY}\"\r\n\r\n").encode()
    out = [head, f"--{BOUNDARY}\r\nContent-Type:text/html\r\nContent-Transfer-Encoding:{cte}\r\n\r\n".encode()]
    if cte == "base64":
        raw = base64.encodebytes(html).replace(b"\n", b"\r\n")
        out.append(raw)
    else:
        out.append(html + b"\r\n")
    for name, data in images.items():
        out.append(f"\r\n--{BOUNDARY}\r\nContent-Type:image/png\r\nContent-Transfer-Encoding:base64\r\n"
                   f"Content-Location:{name}\r\n\r\n".encode())
        out.append(base64.encodebytes(data).replace(b"\n", b"\r\n"))
    out.append(f"\r\n--{BOUNDARY}--\r\n".encode())
    return b"".join(out)


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8

group_rows = (
    title_rows("我的群聊", "周末爬山群(北京)")
    + day("2014-05-29")
    + msg("张三(10001)", "9:05:01", f"{FONT}大家早！</font>")
    + msg("【管理员】李四(10002)", "9:06:30", f'{FONT}看照片</font><IMG src="{{8A1F0C2D-0000-4E11-9AAA-000000000001}}.dat">{FONT}美吗</font>')
    + msg("王五&lt;wangwu@example.com&gt;", "9:07:00", '<IMG src="{8A1F0C2D-0000-4E11-9AAA-000000000001}.dat"><IMG src="{8A1F0C2D-0000-4E11-9AAA-000000000002}.dat">')
    + msg("小明(学生)(10003)", "9:08:15", f"{FONT}第一行<br>第二行&nbsp;&nbsp;<br>&lt;script&gt; &amp; 1 &gt; 0</font>")
    + msg("系统消息(10000)", "9:09:00", f"{FONT}赵六加入本群。</font>")
    + msg("张三(10001)", "9:10:00", f"{FONT}</font>")
    + "<tr><td><div style=padding-left:10px;>这一行不是消息</div></td></tr>"
    + msg("(10004)", "23:59:59", f"{FONT}[表情]</font>", color="#42B475")
    + day("2014-05-30")
    + msg("Tom", "10:00:00", f"{FONT}第二天</font>")
    + "</table></body></html>"
)
(HERE / "qq_group.mht").write_bytes(mime((HEAD + group_rows).encode("utf-8"), {
    "{8A1F0C2D-0000-4E11-9AAA-000000000001}.dat": PNG,
    "{8A1F0C2D-0000-4E11-9AAA-000000000002}.dat": PNG[::-1],
}))

# a friend chat whose HTML is GB18030 although the header says utf-8 (re-saved files do this)
private_rows = (
    title_rows("我的好友", "老同学")
    + day("2013-02-10")
    + msg("老同学", "20:00:00", f"{FONT}新年快乐！</font>")
    + msg("我自己", "20:01:30", f"{FONT}同乐同乐，红包拿来</font>", color="#42B475")
    + "</table></body></html>"
)
(HERE / "qq_private_gb18030.mht").write_bytes(
    mime((HEAD.replace("UTF-8", "GB2312") + private_rows).encode("gb18030"), {}, cte="8bit"))
