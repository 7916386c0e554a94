"""Writes qce_private_v4.json: a V4-era QCE export (JSON.stringify with 2-space
indent, ISO timestamps, isSystemMessage/isRecalled, rawMessage name fields),
from the hand-written records below.  The expected CSV is written by hand."""

import json
from pathlib import Path

doc = {
    "metadata": {"name": "QQChatExporter V4", "version": "4.0.3"},
    "chatInfo": {"name": "张三", "type": "private", "peerUid": "u_zhangsan"},
    "statistics": {"totalMessages": 6, "senders": [{"uid": "u_self"}, {"uid": "u_zhangsan"}]},
    "messages": [
        {"messageId": "9001", "timestamp": "2024-12-01T02:00:00.000Z",
         "sender": {"uid": "u_self", "uin": "10000", "name": "我自己"}, "messageType": 2,
         "isSystemMessage": False, "isRecalled": False, "content": {"text": "在吗？", "html": "在吗？"},
         "rawMessage": {"senderUin": "10000", "senderUid": "u_self", "sendNickName": "我自己"}},
        {"messageId": "9002", "sender": {"uid": "u_zhangsan", "name": "张三"}, "messageType": 2,
         "isSystemMessage": False, "isRecalled": False,
         "content": {"text": "在的", "resources": [{"type": "image"}]},
         "rawMessage": {"senderUin": "30001", "senderUid": "u_zhangsan", "sendNickName": "张三", "msgTime": "1733018460"}},
        {"messageId": "9003", "timestamp": "2024-12-01T02:02:00.000Z", "sender": {"uid": "u_zhangsan", "uin": "30001", "name": "张三"},
         "isSystemMessage": False, "isRecalled": False, "content": {"text": "[表情]", "emojis": [{"type": "face"}]}},
        {"messageId": "9004", "time": "2024-12-01 10:03:00", "sender": {"uid": "u_self", "uin": "10000", "name": "我自己"},
         "isSystemMessage": False, "isRecalled": False, "content": {"text": "好的"}},
        {"messageId": "9005", "timestamp": "2024-12-01T02:04:00.000Z", "sender": {"uid": "u_zhangsan", "uin": "30001", "name": "张三"},
         "isSystemMessage": False, "isRecalled": True, "content": {"text": "撤回的内容"}},
        {"messageId": "9006", "timestamp": "2024-12-01T10:05:00+08:00", "sender": {"uid": "u_zhangsan", "uin": "30001", "name": "张三"},
         "isSystemMessage": False, "isRecalled": False, "content": {"text": "[文件]报名表.xlsx", "resources": [{"type": "file"}]}},
    ],
}
Path(__file__).with_name("qce_private_v4.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n",
                                                          encoding="utf-8")
