"""Writes qce_group.json in QCE's layout from the hand-written records below.

Kept beside the fixture so the file can be regenerated after an edit; the
expected table (qce_group.expected.csv) is written by hand, not from the parser.
"""

import json
from pathlib import Path

metadata = {"name": "QQChatExporter", "copyright": "https://github.com/shuakami/qq-chat-exporter", "version": "5.2.1"}
chat_info = {"name": "测试群聊(二群)", "type": "group", "selfUid": "u_self", "selfUin": "10000",
             "selfName": "我自己", "peerUid": "u_peer", "peerUin": "1687657986", "participantCount": 123}
statistics = {"totalMessages": 15, "timeRange": {"start": "2025-01-01T04:00:00.000Z"}}
messages = [
    # 1 plain text, ms timestamp, uin, group card from rawMessage, 群头衔
    {"id": "7001", "seq": "101", "timestamp": 1735704000000, "time": "2025-01-01 12:00:00",
     "sender": {"uid": "u_alice", "uin": "20001", "name": "备注名", "nickname": "Alice", "groupCard": "爱丽丝",
                "title": "话唠"},
     "type": "type_1", "content": {"text": "大家新年好！", "elements": [{"type": "text", "data": {"text": "大家新年好！"}}],
                                   "resources": [], "mentions": []},
     "recalled": False, "system": False,
     "rawMessage": {"senderUin": "20001", "sendMemberName": "爱丽丝群名片", "sendNickName": "Alice"}},
    # 2 seconds timestamp, uid without uin (stranger), name only
    {"id": "7002", "seq": "102", "timestamp": 1735704060, "sender": {"uid": "u_stranger", "name": "路人甲"},
     "type": "type_1", "content": {"text": "请问群文件在哪？", "elements": [{"type": "text", "data": {"text": "请问群文件在哪？"}}]},
     "recalled": False, "system": False},
    # 3 V4 style: ISO string timestamp, messageId, content.reply, isSystemMessage/isRecalled
    {"messageId": "7003", "timestamp": "2025-01-01T04:02:00.000Z",
     "sender": {"uid": "u_bob", "uin": "20002", "name": "Bob"}, "messageType": 9,
     "isSystemMessage": False, "isRecalled": False,
     "content": {"text": "在群文件第一页", "reply": {"messageId": "7002", "senderName": "路人甲", "content": "请问群文件在哪？"}},
     "rawMessage": {"senderUin": "20002", "sendNickName": "Bob"}},
    # 4 image only, QCE label with file name
    {"id": "7004", "timestamp": 1735704180000, "sender": {"uid": "u_alice", "uin": "20001", "name": "爱丽丝"},
     "type": "type_1", "content": {"text": "[图片:{ABCD-1234}.jpg]",
                                   "elements": [{"type": "image", "data": {"filename": "{ABCD-1234}.jpg", "size": 2048}}],
                                   "resources": [{"type": "image", "filename": "{ABCD-1234}.jpg", "size": 2048}]},
     "recalled": False, "system": False},
    # 5 reply element + text, "[回复消息]" marker in text
    {"id": "7005", "timestamp": 1735704240000, "sender": {"uid": "u_stranger", "name": "路人甲"},
     "type": "reply", "content": {"text": "[回复消息]谢谢！",
                                  "elements": [{"type": "reply", "data": {"messageId": "7003", "referencedMessageId": "7003",
                                                                          "senderName": "Bob", "content": "在群文件第一页",
                                                                          "timestamp": 1735704120}},
                                               {"type": "text", "data": {"text": "谢谢！"}}]},
     "recalled": False, "system": False},
    # 6 @全体成员 by the group owner
    {"id": "7006", "timestamp": 1735704300000, "sender": {"uid": "u_owner", "uin": "20000", "name": "群主大人", "title": "群主"},
     "type": "type_1", "content": {"text": "@全体成员 今晚八点开会",
                                   "elements": [{"type": "text", "data": {"text": "@全体成员"}},
                                                {"type": "text", "data": {"text": " 今晚八点开会"}}],
                                   "mentions": [{"uid": "all", "name": "全体成员", "type": "all"}]},
     "recalled": False, "system": False},
    # 7 @ a member seen before (uid -> uin) and one never seen (uid kept)
    {"id": "7007", "timestamp": 1735704360000, "sender": {"uid": "u_bob", "uin": "20002", "name": "Bob"},
     "type": "type_1", "content": {"text": "@爱丽丝 @小透明 收到",
                                   "mentions": [{"uid": "u_alice", "name": "爱丽丝", "type": "user"},
                                                {"uid": "u_quiet", "name": "小透明", "type": "user"}]},
     "recalled": False, "system": False},
    # 8 system: join notice
    {"id": "7008", "timestamp": 1735704420000, "sender": {"uid": "", "name": ""}, "type": "system",
     "content": {"text": "王五加入了本群", "elements": [{"type": "system", "data": {"text": "王五加入了本群", "subType": 4}}]},
     "recalled": False, "system": True},
    # 9 system: recall notice
    {"id": "7009", "timestamp": 1735704480000, "sender": {"uid": "u_bob", "uin": "20002", "name": "Bob"}, "type": "system",
     "content": {"text": "Bob 撤回了一条消息"}, "recalled": False, "system": True},
    # 10 a recalled message (flag on the message itself)
    {"id": "7010", "timestamp": 1735704540000, "sender": {"uid": "u_bob", "uin": "20002", "name": "Bob"},
     "type": "type_1", "content": {"text": "发错群了"}, "recalled": True, "system": False},
    # 11 empty body
    {"id": "7011", "timestamp": 1735704600000, "sender": {"uid": "u_alice", "uin": "20001", "name": "爱丽丝"},
     "type": "type_1", "content": {"text": "", "elements": [], "resources": []}, "recalled": False, "system": False},
    # 12 nickname with brackets, group card empty -> name
    {"id": "7012", "timestamp": 1735704660000,
     "sender": {"uid": "u_ming", "uin": "20003", "name": "小明(学生)[二班]<新人>", "groupCard": ""},
     "type": "type_1", "content": {"text": "[表情14][表情14]",
                                   "elements": [{"type": "face", "data": {"id": "14"}}, {"type": "face", "data": {"id": "14"}}]},
     "recalled": False, "system": False},
    # 13 no timestamp at all -> reported, not imported
    {"id": "7013", "sender": {"uid": "u_alice", "uin": "20001", "name": "爱丽丝"}, "content": {"text": "时间丢了"}},
    # 14 not an object -> reported
    None,
    # 15 voice + file resources without elements (older export), 12-digit-ms edge
    {"id": "7015", "timestamp": "1735704720000", "sender": {"uid": "u_alice", "uin": "20001", "name": "爱丽丝"},
     "content": {"text": "[语音:5秒]", "resources": [{"type": "audio", "filename": "a.amr", "duration": 5}]},
     "recalled": False, "system": False},
]

lines = [
    "{",
    f'  "metadata":{json.dumps(metadata, ensure_ascii=False, separators=(",", ":"))},',
    f'  "chatInfo":{json.dumps(chat_info, ensure_ascii=False, separators=(",", ":"))},',
    f'  "statistics":{json.dumps(statistics, ensure_ascii=False, separators=(",", ":"))},',
    '  "messages":[',
    ",\n".join("    " + json.dumps(m, ensure_ascii=False, separators=(",", ":")) for m in messages),
    "  ],",
    '  "avatars":{',
    '    "20001":"data:image/png;base64,' + "iVBORw0KGgo" * 50 + '",',
    '    "20002":"data:image/png;base64,' + "AAAA" * 50 + '"',
    "  },",
    '  "exportOptions":{"includedFields":["messages"],"filters":{},"options":{}}',
    "}",
    "",
]
Path(__file__).with_name("qce_group.json").write_text("\n".join(lines), encoding="utf-8")
