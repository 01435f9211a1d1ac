#!/usr/bin/env python3
"""Writes the DLP probe sets in eval/dlp-probes/ (English and Chinese).

The dev PII files in ../shared/datasets/pii/ come from 125 English and 15
Chinese sentence templates; the team's held-out files use other templates
with values from the same kinds of generators. The catalogue's authors saw
the dev templates, so `palisade dlp eval` on them says little about new
sentence shapes. These probes put values of the same formats (made here:
checksum-valid, random, fake) into templates written for this file only,
in shapes the dev files do not use (logs, JSON, CSV, chat, forms, e-mail
signatures), with and without context words, and with look-alikes that
must not be reported (order, invoice, tracking and version numbers,
failed checksums).

Templates were written before the engine was run on them; when a probe
miss leads to a catalogue change, the change must be a general one (a
format, a context word any writer would use), never the probe's wording.

Usage: scripts/dlp_probes.py [OUT_DIR]   (default eval/dlp-probes; seed fixed)
"""
import json
import os
import random
import string
import sys

R = random.Random(20261130)


def digits(n):
    return "".join(R.choice(string.digits) for _ in range(n))


def luhn_ok(num):
    total = 0
    for i, ch in enumerate(reversed(num)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_complete(prefix, length):
    """A random number of `length` digits after `prefix` whose last digit
    is its Luhn check digit."""
    body = prefix + digits(length - len(prefix) - 1)
    return next(body + d for d in string.digits if luhn_ok(body + d))


CARD_KINDS = [
    ("4", 16), ("4", 19), ("51", 16), ("55", 16), ("2221", 16), ("2720", 16),
    ("34", 15), ("37", 15), ("6011", 16), ("65", 16), ("300", 14), ("36", 14),
    ("38", 14), ("3528", 16), ("3589", 16), ("2131", 15), ("1800", 15),
    ("6304", 12), ("5018", 16), ("6759", 19), ("62", 16), ("62", 19),
]


def card(grouped=None):
    prefix, n = R.choice(CARD_KINDS)
    num = luhn_complete(prefix, n)
    if grouped is None:
        grouped = R.random() < 0.3
    if grouped and n in (16, 19):
        sep = R.choice([" ", "-"])
        return sep.join(num[i:i + 4] for i in range(0, n, 4))
    if grouped and n == 15:
        sep = R.choice([" ", "-"])
        return sep.join([num[:4], num[4:10], num[10:]])
    return num


def bad_luhn_card():
    prefix, n = R.choice([("4", 16), ("51", 16), ("62", 19), ("6011", 16)])
    while True:
        num = prefix + digits(n - len(prefix))
        if not luhn_ok(num):
            return num


IBAN_SPECS = {  # country: (length, BBAN maker)
    "GB": lambda: "".join(R.choice(string.ascii_uppercase) for _ in range(4)) + digits(14),
    "DE": lambda: digits(18),
    "FR": lambda: digits(10) + "".join(R.choice(string.ascii_uppercase + string.digits) for _ in range(11)) + digits(2),
    "ES": lambda: digits(20),
    "IT": lambda: R.choice(string.ascii_uppercase) + digits(10) + "".join(R.choice(string.digits) for _ in range(12)),
    "NL": lambda: "".join(R.choice(string.ascii_uppercase) for _ in range(4)) + digits(10),
    "CH": lambda: digits(17),
    "BE": lambda: digits(12),
    "PL": lambda: digits(24),
}


def iban_check(cc, bban):
    s = bban + cc + "00"
    num = "".join(str(int(c, 36)) for c in s)
    return "%02d" % (98 - int(num) % 97)


def iban(spaced=None):
    cc = R.choice(list(IBAN_SPECS))
    bban = IBAN_SPECS[cc]()
    code = cc + iban_check(cc, bban) + bban
    if spaced is None:
        spaced = R.random() < 0.35
    if spaced:
        return " ".join(code[i:i + 4] for i in range(0, len(code), 4))
    return code


def ssn(dashed=True):
    while True:
        a = R.randint(1, 899)
        if a != 666:
            break
    s = "%03d-%02d-%04d" % (a, R.randint(1, 99), R.randint(1, 9999))
    return s if dashed else s.replace("-", "")


def fmt(pattern):
    """`#` any digit, `N` 2-9 (NANP area codes and exchanges, trunk-prefixed
    area codes that cannot start with 0 or 1)."""
    return "".join(R.choice(string.digits) if c == "#" else R.choice("23456789") if c == "N" else c
                   for c in pattern)


PHONE_FORMATS = [
    # US / Canada
    "N##-N##-####", "(N##) N##-####", "(N##)N##-####", "N##.N##.####", "+1-N##-N##-####",
    "+1 N## N## ####", "001-N##-N##-####", "N##-N##-####x###", "(N##)N##-####x####",
    # UK
    "07700 ### ###", "+44 7700 ######", "+44 20 #### ####", "020 #### ####", "0161 ### ####",
    # France, Belgium, Switzerland, Germany, Netherlands, Australia, Italy
    "0N ## ## ## ##", "+33 N ## ## ## ##", "0N.##.##.##.##", "04## ## ## ##", "+32 4## ## ## ##",
    "+41 (0)N# ### ## ##", "0N# ### ## ##", "0N## #######", "+49 30 ########", "+31 6 ########",
    "04## ### ###", "+61 4## ### ###", "(02) #### ####", "(03) #### ####", "+39 3## ### ####",
]


def phone():
    p = fmt(R.choice(PHONE_FORMATS))
    return p


def ipv4():
    while True:
        a = R.randint(1, 223)
        if a not in (10, 127):
            break
    return "%d.%d.%d.%d" % (a, R.randint(0, 255), R.randint(0, 255), R.randint(1, 254))


def ipv6():
    groups = ["%x" % R.randint(0, 0xFFFF) for _ in range(8)]
    if R.random() < 0.3:
        return "2001:db8::" + groups[6] + ":" + groups[7]
    return ":".join(groups)


FIRST = ["maria", "john", "wei", "aisha", "lars", "priya", "tom", "elena", "kofi", "yuki", "sam", "noor"]
LAST = ["garcia", "smith", "chen", "okafor", "berg", "patel", "novak", "rossi", "tanaka", "haddad"]
DOMAINS = ["gmail.com", "outlook.com", "example.org", "corp.example.com", "mail.ru", "web.de", "proton.me",
           "uni-heidelberg.de", "acme.co.uk", "startup.io"]


def email():
    f, l = R.choice(FIRST), R.choice(LAST)
    local = R.choice([f + "." + l, f[0] + l, f + l + str(R.randint(1, 99)), f + "_" + l, l + "." + f[0],
                      (f + "." + l).title().replace(".", "")])
    return local + "@" + R.choice(DOMAINS)


# --- PRC values -----------------------------------------------------------

REGIONS = ["110101", "110105", "110108", "120101", "310104", "310115", "320102", "320505", "330106",
           "340104", "350203", "370202", "410105", "420106", "430104", "440106", "440305", "450103",
           "500103", "510107", "520102", "530102", "610113", "620102", "650102"]


def resident_id(valid=True):
    region = R.choice(REGIONS)
    y = R.randint(1950, 2007)
    m = R.randint(1, 12)
    d = R.randint(1, 28)
    body = "%s%04d%02d%02d%03d" % (region, y, m, d, R.randint(1, 999))
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(a) * b for a, b in zip(body, w)) % 11]
    if not valid:
        check = R.choice([c for c in "0123456789X" if c != check])
    return body + check


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def org_code():
    body = "".join(R.choice(string.digits * 3 + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    w = [3, 7, 9, 10, 5, 8, 4, 2]
    vals = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    c = 11 - sum(a * b for a, b in zip(vals, w)) % 11
    check = {10: "X", 11: "0"}.get(c, str(c))
    return body + check


def uscc(valid=True):
    head = R.choice(["91", "92", "93", "11", "12", "51", "52", "Y1"])
    body = head + R.choice(REGIONS) + org_code()
    w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    s = sum(USCC_CHARS.index(c) * k for c, k in zip(body, w))
    check = USCC_CHARS[(31 - s % 31) % 31]
    if not valid:
        check = R.choice([c for c in USCC_CHARS if c != check])
    return body + check


def cn_mobile():
    n = R.choice(["13", "15", "17", "18", "19"]) + str(R.randint(0, 9)) + digits(8)
    form = R.random()
    if form < 0.6:
        return n
    if form < 0.75:
        return "%s-%s-%s" % (n[:3], n[3:7], n[7:])
    if form < 0.9:
        return "+86 " + n
    return "%s %s %s" % (n[:3], n[3:7], n[7:])


def cn_landline():
    area, n = R.choice([("010", 8), ("021", 8), ("020", 8), ("0755", 8), ("0571", 8), ("028", 8),
                        ("023", 8), ("0531", 7)])
    num = str(R.randint(2, 8)) + digits(n - 1)
    form = R.random()
    if form < 0.7:
        return area + "-" + num
    if form < 0.85:
        return "(" + area + ")" + num
    return area + " " + num


def cn_passport():
    return R.choice("EG") + digits(8)


PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤川青藏琼宁"
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def cn_plate():
    return R.choice(PROVINCES) + R.choice("ABCDEFGH") + "".join(R.choice(PLATE_CHARS) for _ in range(5))


# --- records -----------------------------------------------------------------

def render(template, fillers, negs):
    """Fills `<<TYPE>>` slots (labelled) and `<<~NEG>>` slots (hard negatives)."""
    text = ""
    entities = []
    hard = []
    i = 0
    while i < len(template):
        if template.startswith("<<", i):
            j = template.index(">>", i)
            slot = template[i + 2:j]
            if slot.startswith("~"):
                value = negs[slot[1:]]()
                hard.append({"type": slot[1:], "value": value})
            else:
                value = fillers[slot]()
                b0 = len(text.encode())
                entities.append({"type": slot, "start": len(text), "end": len(text) + len(value),
                                 "byte_start": b0, "byte_end": b0 + len(value.encode()), "value": value})
            text += value
            i = j + 2
        else:
            text += template[i]
            i += 1
    return text, entities, hard


EN_FILL = {
    "CREDIT_CARD": card, "IBAN_CODE": iban, "US_SSN": ssn, "EMAIL_ADDRESS": email,
    "PHONE_NUMBER": phone, "IP_ADDRESS": lambda: ipv4() if R.random() < 0.8 else ipv6(),
}
EN_NEG = {
    "NEG_ORDER_NO": lambda: "ORD-%s-%s" % (R.randint(2019, 2026), digits(6)),
    "NEG_INVOICE": lambda: "INV" + digits(8),
    "NEG_BAD_LUHN": bad_luhn_card,
    "NEG_TRACKING": lambda: "1Z" + "".join(R.choice(string.ascii_uppercase + string.digits) for _ in range(16)),
    "NEG_VERSION": lambda: "v%d.%d.%d" % (R.randint(1, 9), R.randint(0, 30), R.randint(0, 99)),
    "NEG_UUID": lambda: "%08x-%04x-4%03x-a%03x-%012x" % (R.getrandbits(32), R.getrandbits(16), R.getrandbits(12),
                                                          R.getrandbits(12), R.getrandbits(48)),
    "NEG_TIMESTAMP": lambda: str(R.randint(1600000000, 1800000000)),
    "NEG_PRICE": lambda: "$%d,%03d.%02d" % (R.randint(1, 99), R.randint(0, 999), R.randint(0, 99)),
    "NEG_ISBN": lambda: "978-%d-%s-%s-%d" % (R.randint(0, 9), digits(3), digits(5), R.randint(0, 9)),
    # Area 000 and 666 are never issued (9xx would be an ITIN, not a look-alike).
    "NEG_BAD_SSN": lambda: R.choice(["000", "666"]) + "-%02d-%04d" % (R.randint(1, 99), R.randint(1, 9999)),
}

EN_TEMPLATES = [
    "Hey, it's <<PERSON_FREE>> again. Best number for me this week is <<PHONE_NUMBER>>, or just email <<EMAIL_ADDRESS>>.",
    "2025-06-14T08:31:09Z INFO auth: login ok user=<<EMAIL_ADDRESS>> src=<<IP_ADDRESS>> session=<<~NEG_UUID>>",
    '{"customer": {"email": "<<EMAIL_ADDRESS>>", "phone": "<<PHONE_NUMBER>>"}, "order": "<<~NEG_ORDER_NO>>"}',
    "email,phone,last_ip\n<<EMAIL_ADDRESS>>,<<PHONE_NUMBER>>,<<IP_ADDRESS>>",
    "Refunds go to IBAN <<IBAN_CODE>>; reference <<~NEG_INVOICE>>.",
    "For the background check I need your SSN (<<US_SSN>>) and a phone we can call, e.g. <<PHONE_NUMBER>>.",
    "Card on file: <<CREDIT_CARD>> (exp 11/28). Please charge the renewal of <<~NEG_PRICE>>.",
    "Tracking <<~NEG_TRACKING>> shows delivered. If it isn't there, ring <<PHONE_NUMBER>>.",
    "Firewall blocked <<IP_ADDRESS>> after 40 failed logins; build <<~NEG_VERSION>> was running.",
    "Name: Dana Whitfield\nSocial Security No.: <<US_SSN>>\nMobile: <<PHONE_NUMBER>>\nE-mail: <<EMAIL_ADDRESS>>",
    "Could you move my payout account to <<IBAN_CODE>>? The old one is closed.",
    "Pay with <<CREDIT_CARD>> please, the other card was declined.",
    "ISBN <<~NEG_ISBN>> is out of stock; I'll email <<EMAIL_ADDRESS>> when it's back.",
    "Our office line changed. New number: <<PHONE_NUMBER>>.",
    "Who owns <<IP_ADDRESS>>? It keeps scanning port 22 since <<~NEG_TIMESTAMP>>.",
    "Wrong SSN format: <<~NEG_BAD_SSN>> is not issued, but <<US_SSN>> is.",
    "The number <<~NEG_BAD_LUHN>> failed the checksum, so I used <<CREDIT_CARD>> instead.",
    "Kind regards,\nJ. Moreau\nSenior Accountant\nT <<PHONE_NUMBER>>\n<<EMAIL_ADDRESS>>",
    "user> my visa is <<CREDIT_CARD>> can u check why it fails\nassistant> I can't look up card numbers.",
    "Beneficiary: Stiftung Nordlicht, IBAN: <<IBAN_CODE>>, purpose: donation",
    "Reach me on WhatsApp at <<PHONE_NUMBER>> after 6pm.",
    "Allowlist these addresses: <<IP_ADDRESS>>, <<IP_ADDRESS>>.",
    "Please forward the contract to <<EMAIL_ADDRESS>> and cc <<EMAIL_ADDRESS>>.",
    "SSN <<US_SSN>> belongs to the applicant; the co-signer's is <<US_SSN>>.",
    "I paid twice with card number <<CREDIT_CARD>>! Order <<~NEG_ORDER_NO>>. Fix it.",
    "| name | ssn | card |\n|---|---|---|\n| R. Ito | <<US_SSN>> | <<CREDIT_CARD>> |",
    "call <<PHONE_NUMBER>> - ask for the night nurse",
    "Send the wire to <<IBAN_CODE>> by Friday or the shipment stays in customs.",
    "Requests from <<IP_ADDRESS>> carry the header X-Forwarded-For: <<IP_ADDRESS>>.",
    "My details for the booking: <<EMAIL_ADDRESS>>, tel. <<PHONE_NUMBER>>, passport on arrival.",
    "Release notes <<~NEG_VERSION>>: fixed crash on startup; contact <<EMAIL_ADDRESS>> for support.",
    "The applicant's taxpayer number (SSN) is <<US_SSN>>; income verified.",
    "Billing contact - phone: <<PHONE_NUMBER>> | fax: <<PHONE_NUMBER>>",
    "Transaction <<~NEG_UUID>> declined for card <<CREDIT_CARD>>.",
    "Server <<IP_ADDRESS>> is the primary, <<IP_ADDRESS>> the replica.",
    "Please confirm the account <<IBAN_CODE>> belongs to you.",
    "New hire: start Monday. SSN: <<US_SSN>>. Emergency contact <<PHONE_NUMBER>>.",
    "Price went from <<~NEG_PRICE>> to <<~NEG_PRICE>> overnight.",
]

ZH_FILL = {
    "CN_RESIDENT_ID": resident_id, "CN_MOBILE": cn_mobile, "CN_LANDLINE": cn_landline,
    "BANK_CARD": lambda: card(grouped=R.random() < 0.3) if R.random() < 0.2 else luhn_complete(R.choice(["6222", "6217", "6228", "6259"]), R.choice([16, 19])),
    "CN_USCC": uscc, "CN_PASSPORT": cn_passport, "CN_LICENSE_PLATE": cn_plate,
    "EMAIL_ADDRESS": lambda: R.choice(["li", "wang", "zhang", "liu", "chen"]) + digits(R.randint(2, 5)) + "@" + R.choice(["qq.com", "163.com", "126.com", "sina.com", "example.cn"]),
    "IP_ADDRESS": ipv4,
}
ZH_NEG = {
    "NEG_ORDER_NO": lambda: "订单" + digits(18),
    "NEG_TRACKING_NO": lambda: R.choice(["SF", "YT", "JD"]) + digits(13),
    "NEG_ID_BAD_CHECK": lambda: resident_id(valid=False),
    "NEG_USCC_BAD_CHECK": lambda: uscc(valid=False),
    "NEG_CARD_BAD_LUHN": lambda: (lambda p: next(n for n in iter(lambda: p + digits(15), None) if not luhn_ok(n)))("6222"),
    "NEG_11DIGIT": lambda: R.choice(["10", "11", "12"]) + digits(9),
}

ZH_TEMPLATES = [
    "退款请打到我的银行卡<<BANK_CARD>>，开户人就是我本人。",
    "【登录提醒】账号<<EMAIL_ADDRESS>>于今日09:12在<<IP_ADDRESS>>登录，如非本人操作请修改密码。",
    "收件人：王女士\n手机：<<CN_MOBILE>>\n备用电话：<<CN_LANDLINE>>\n快递单号：<<~NEG_TRACKING_NO>>",
    '{"name": "刘洋", "id_card": "<<CN_RESIDENT_ID>>", "mobile": "<<CN_MOBILE>>"}',
    "公司名称：某某科技有限公司，统一社会信用代码<<CN_USCC>>，开票请核对。",
    "出差人员护照号<<CN_PASSPORT>>，请订明早的航班。",
    "车牌号<<CN_LICENSE_PLATE>>的车主请尽快挪车，谢谢。",
    "这个身份证号<<~NEG_ID_BAD_CHECK>>校验不通过，正确的是<<CN_RESIDENT_ID>>。",
    "订单号<<~NEG_ORDER_NO>>已发货，有问题打<<CN_MOBILE>>。",
    "姓名,身份证,电话\n陈晨,<<CN_RESIDENT_ID>>,<<CN_MOBILE>>",
    "客服热线<<CN_LANDLINE>>，工作日9点到18点。",
    "用户反馈：我的卡号<<BANK_CARD>>被扣了两次钱！",
    "这家店的信用代码写的是<<~NEG_USCC_BAD_CHECK>>，查不到，应该是<<CN_USCC>>吧？",
    "监控发现<<IP_ADDRESS>>在凌晨大量请求接口，已加入黑名单。",
    "麻烦把合同发到<<EMAIL_ADDRESS>>，抄送<<EMAIL_ADDRESS>>。",
    "卡号<<~NEG_CARD_BAD_LUHN>>无效，请换一张。",
    "违章车辆：<<CN_LICENSE_PLATE>>，地点：人民路口。",
    "家长联系方式 <<CN_MOBILE>>（妈妈）/ <<CN_MOBILE>>（爸爸）",
    "编号{~NEG_11DIGIT}的工单已关闭。",
    "办理入住需要身份证：<<CN_RESIDENT_ID>>，手机号：<<CN_MOBILE>>。",
    "请核对护照：<<CN_PASSPORT>>，签发地：上海。",
    "我们的对公账户卡号是<<BANK_CARD>>，税号<<CN_USCC>>。",
    "座机<<CN_LANDLINE>>打不通的话，发邮件到<<EMAIL_ADDRESS>>。",
    '工具调用结果：{"plate": "<<CN_LICENSE_PLATE>>", "owner_phone": "<<CN_MOBILE>>"}',
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "eval", "dlp-probes")
    os.makedirs(out, exist_ok=True)
    en_fill = dict(EN_FILL, PERSON_FREE=lambda: R.choice(FIRST).title())
    sets = [("en.jsonl", EN_TEMPLATES, en_fill, EN_NEG, "en", 8), ("zh.jsonl", ZH_TEMPLATES, ZH_FILL, ZH_NEG, "zh", 10)]
    for name, templates, fill, negs, lang, per in sets:
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            n = 0
            for ti, t in enumerate(templates):
                for _ in range(per):
                    text, ents, hard = render(t, fill, negs)
                    ents = [e for e in ents if e["type"] != "PERSON_FREE"]
                    rec = {"id": "%s-probe-%04d" % (lang, n), "text": text, "entities": ents, "lang": lang,
                           "source": "palisade dlp probes (scripts/dlp_probes.py)", "template_id": ti,
                           "hard_negatives": hard}
                    f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                    n += 1
        print("%s: %d records" % (name, n))


if __name__ == "__main__":
    main()
