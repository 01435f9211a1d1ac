#!/usr/bin/env python3
"""Writes the blind DLP test set eval/dlp-blind/{en,zh}.jsonl with Faker values.

Run it with the pinned Faker in its own venv (Faker is not a project
dependency; nothing else is needed):

    python3 -m venv "$HOME/.cache/palisade/venv-faker"
    "$HOME/.cache/palisade/venv-faker/bin/pip" install faker==40.63.0
    "$HOME/.cache/palisade/venv-faker/bin/python" scripts/dlp_blind.py [OUT_DIR]

OUT_DIR defaults to eval/dlp-blind next to this script's repository. The seed
is fixed, and nothing reads the clock: the output depends only on this file
and the Faker version (the script refuses any other version).

What it is: values in Faker's own formats (the generator Microsoft's
presidio-evaluator uses for its synthetic PII sentences) placed in sentence
templates written for this file only, without looking at the detector.
English: cards of every Faker card type, IBANs of 14 countries, US SSNs,
e-mail, phone numbers of 12 locales plus MSISDNs and +CC international
forms, IPv4/IPv6. Chinese: PRC resident IDs (Faker zh_CN ssn, GB 11643
checked), USCCs (built here, GB 32100 + GB 11714), UnionPay bank cards,
mobiles, landlines, passports, plates, e-mail, IPs. Both files carry
hard negatives: look-alikes a detector must not report.

Record format (that of the dev corpora in shared/datasets/pii):
{"id", "text", "entities": [{"type", "start", "end", "byte_start",
"byte_end", "value"}], "lang", "source", "template_id", "hard_negatives": [...]}
start/end are code-point offsets (end exclusive), byte_* the same span in
UTF-8 bytes; every record is checked before it is written.

Span rules: a phone number's span is the number as written, with a leading
"+", country code, parentheses and separators; an extension is inside the
span as Faker writes it, glued ("206.269.0743x9150", en_US) or after a
space ("(209) 397-2980 x635", en_CA): a labeller that inserts Faker's
value labels all of it. Postal codes are real data, not look-alikes, so
they stay unlabelled (neither entity nor hard negative).
Cards, IBANs and bank cards printed in groups keep their spaces or dashes
inside the span.
"""
import datetime
import ipaddress
import json
import os
import random
import re
import string
import sys
import types

import faker
from faker import Faker

FAKER_VERSION = "40.63.0"
SEED = 20261207
SOURCE = f"palisade dlp blind set (scripts/dlp_blind.py, Faker {FAKER_VERSION}, seed {SEED})"
N_EN = 600
N_ZH = 300

if faker.VERSION != FAKER_VERSION:
    sys.exit(f"dlp_blind.py: needs Faker {FAKER_VERSION}, found {faker.VERSION} (see the docstring)")


# Faker zh_CN ssn() draws the birth date back from date.today(); pin "today"
# so the output does not change from one day to the next.
class _FixedDate(datetime.date):
    @classmethod
    def today(cls):
        return cls(2026, 12, 1)


import faker.providers.ssn.zh_CN as _zh_ssn  # noqa: E402

_zh_ssn.datetime = types.SimpleNamespace(date=_FixedDate, timedelta=datetime.timedelta)

R = random.Random(SEED)

LOCALES = [
    "en_US", "en_GB", "en_CA", "en_AU", "de_DE", "fr_FR", "es_ES", "it_IT", "ja_JP",
    "hi_IN", "pt_BR", "nl_NL", "pl_PL", "pt_PT", "de_AT", "de_CH", "nl_BE", "fi_FI",
    "no_NO", "en_IE", "da_DK", "ro_RO", "zh_CN",
]
_FAKERS = {}


def fk(loc):
    f = _FAKERS.get(loc)
    if f is None:
        f = Faker(loc)
        f.seed_instance(SEED + 101 * LOCALES.index(loc))
        _FAKERS[loc] = f
    return f


# ---------------------------------------------------------------- checks

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


def luhn_complete(body):
    for d in string.digits:
        if luhn_ok(body + d):
            return body + d
    raise AssertionError(body)


def iban_ok(iban):
    s = iban.replace(" ", "")
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", s):
        return False
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def ssn_ok(ssn):
    m = re.fullmatch(r"(\d{3})-?(\d{2})-?(\d{4})", ssn)
    if not m:
        return False
    a, g, s = m.groups()
    return a not in ("000", "666") and a[0] != "9" and g != "00" and s != "0000"


RID_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def rid_check(s17):
    return "10X98765432"[sum(int(c) * w for c, w in zip(s17, RID_W)) % 11]


def rid_ok(rid):
    if not re.fullmatch(r"\d{17}[\dX]", rid):
        return False
    try:
        datetime.date(int(rid[6:10]), int(rid[10:12]), int(rid[12:14]))
    except ValueError:
        return False
    return rid_check(rid[:17]) == rid[17]


USCC_CS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_W = [3, 7, 9, 10, 5, 8, 4, 2]


def uscc_check(s17):
    return USCC_CS[(31 - sum(USCC_CS.index(c) * w for c, w in zip(s17, USCC_W)) % 31) % 31]


def org_check(s8):
    def val(c):
        return int(c) if c.isdigit() else ord(c) - ord("A") + 10
    r = 11 - sum(val(c) * w for c, w in zip(s8, ORG_W)) % 11
    return "X" if r == 10 else "0" if r == 11 else str(r)


def uscc_ok(u):
    if len(u) != 18 or any(c not in USCC_CS for c in u):
        return False
    return org_check(u[8:16]) == u[16] and uscc_check(u[:17]) == u[17]


# ---------------------------------------------------------------- pieces
# A generator returns a list of pieces (kind, type, value): kind "E" is a
# labelled entity, "N" a hard negative, None plain unlabelled text.

def E(t, v):
    return [("E", t, v)]


def N(t, v):
    return [("N", t, v)]


def P(v):
    return [(None, None, v)]


def digits(n, first=string.digits):
    return R.choice(first) + "".join(R.choice(string.digits) for _ in range(n - 1))


def group(s, sizes, sep):
    out, i = [], 0
    for n in sizes:
        if i >= len(s):
            break
        out.append(s[i:i + n])
        i += n
    if i < len(s):
        out.append(s[i:])
    return sep.join(out)


NAME_LOCALES = ["en_US", "en_US", "en_GB", "en_CA", "en_AU", "de_DE", "fr_FR", "es_ES",
                "it_IT", "nl_NL", "pl_PL", "pt_BR", "en_IE"]


def first_name():
    while True:
        v = fk(R.choice(NAME_LOCALES)).first_name()
        if "'" not in v:
            return v


def full_name():
    while True:
        f = fk(R.choice(NAME_LOCALES))
        v = f"{f.first_name()} {f.last_name()}"
        if "'" not in v:
            return v


# --- cards
CARD_TYPES = ["maestro", "mastercard", "visa16", "visa13", "visa19", "amex", "discover",
              "diners", "jcb15", "jcb16", "visa", "jcb"]
CARD_GROUPS = {12: [4, 4, 4], 13: [4, 4, 5], 14: [4, 6, 4], 15: [4, 6, 5],
               16: [4, 4, 4, 4], 19: [4, 4, 4, 4, 3]}


def card_number(fmt=None):
    ctype = R.choice(CARD_TYPES)
    num = fk("en_US").credit_card_number(card_type=ctype)
    assert luhn_ok(num), num
    fmt = fmt or R.choices(["raw", "space", "dash"], [60, 25, 15])[0]
    tally("card type", ctype)
    tally("card print", fmt)
    if fmt == "raw":
        return num
    return group(num, CARD_GROUPS[len(num)], " " if fmt == "space" else "-")


def bad_card():
    while True:
        num = fk("en_US").credit_card_number(card_type=R.choice(["visa16", "mastercard", "discover", "jcb16"]))
        num = num[:-1] + str((int(num[-1]) + R.randint(1, 9)) % 10)
        if not luhn_ok(num):
            break
    fmt = R.choices(["raw", "space", "dash"], [50, 35, 15])[0]
    return num if fmt == "raw" else group(num, [4, 4, 4, 4], " " if fmt == "space" else "-")


# --- IBAN
IBAN_LOCALES = ["de_DE", "fr_FR", "en_GB", "es_ES", "it_IT", "nl_NL", "pl_PL", "pt_PT",
                "de_AT", "de_CH", "nl_BE", "fi_FI", "no_NO", "en_IE"]


def iban(fmt=None):
    v = fk(R.choice(IBAN_LOCALES)).iban()
    assert iban_ok(v), v
    fmt = fmt or R.choices(["raw", "grp"], [65, 35])[0]
    tally("iban country", v[:2])
    tally("iban print", fmt)
    return v if fmt == "raw" else group(v, [4] * 9, " ")


# --- phones
PHONE_LOCALES = ["en_US", "en_GB", "en_CA", "en_AU", "de_DE", "fr_FR", "es_ES", "it_IT",
                 "ja_JP", "hi_IN", "pt_BR", "nl_NL"]
PHONE_RE = re.compile(r"\+?[\d(][\d ().\-]*\d( ?x\d+)?")


def phone_pieces(v):
    return E("PHONE_NUMBER", v)


def phone_loc(loc):
    tally("phone source", loc)
    return phone_pieces(fk(loc).phone_number())


def phone_intl():
    f = fk("en_US")
    cc = f.country_calling_code()
    form = R.choices(["spaced", "compact", "dashed"], [60, 25, 15])[0]
    tally("phone source", "+CC " + form)
    if form == "compact":
        n = 11 - len(cc.replace("+", "").replace(" ", "")) + R.randint(0, 1)
        return E("PHONE_NUMBER", cc.replace(" ", "") + f.numerify("%" + "#" * (n - 1)))
    if " " in cc:  # the code already carries an area code
        rest = f.numerify(R.choice(["%##-####", "%## ####", "%######"]))
    else:
        rest = f.numerify(R.choice(["%## ### ####", "%# #### ####", "%## ## ## ##", "%### ###",
                                    "%## ### ###", "%########"]))
    if form == "dashed":
        rest = rest.replace(" ", "-")
    return E("PHONE_NUMBER", cc + " " + rest)


def phone_any():
    if R.random() < 0.2:
        return phone_intl()
    return phone_loc(R.choice(PHONE_LOCALES))


def msisdn():
    tally("phone source", "msisdn")
    return E("PHONE_NUMBER", fk(R.choice(PHONE_LOCALES)).msisdn())


# --- e-mail, IP
EMAIL_LOCALES = ["en_US", "en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR"]


def email():
    f = fk(R.choice(EMAIL_LOCALES))
    return R.choice([f.email, f.free_email, f.company_email])()


def ipv4():
    f = fk("en_US")
    return f.ipv4() if R.random() < 0.5 else f.ipv4_public()


# --- hard negatives (English)

def order_no():
    while True:
        form = R.choice(["amz", "ord", "hash", "plain"])
        if form == "amz":
            v = f"{digits(3, '1234567')}-{digits(7)}-{digits(7)}"
        elif form == "ord":
            v = f"ORD-{R.randint(2019, 2026)}-{digits(6)}"
        elif form == "hash":
            v = f"#{digits(R.randint(6, 9), '123456789')}"
        else:
            v = f"{R.choice(['A', 'B', 'W', 'SO'])}{digits(R.randint(7, 10))}"
        d = re.sub(r"\D", "", v)
        if not (12 <= len(d) <= 19 and luhn_ok(d)):
            return v


def tracking_no():
    while True:
        form = R.choice(["ups", "fedex", "usps", "dhl"])
        if form == "ups":
            v = "1Z" + "".join(R.choice(string.ascii_uppercase + string.digits) for _ in range(6)) + digits(10)
        elif form == "fedex":
            v = digits(12, "6789")
        elif form == "usps":
            v = group("94" + digits(20), [4] * 6, " ")
        else:
            v = "JD" + digits(18)
        d = re.sub(r"\D", "", v)
        if not (12 <= len(d) <= 19 and luhn_ok(d)):
            return v


def invoice_no():
    return R.choice([
        lambda: f"INV-{digits(6)}",
        lambda: f"INV/{R.randint(2019, 2026)}/{digits(4)}",
        lambda: f"{R.randint(2019, 2026)}-{R.randint(1, 12):02d}-{digits(4)}",
        lambda: f"F{R.randint(19, 26)}{digits(5)}",
    ])()


def version():
    return R.choice([
        lambda: f"{R.randint(0, 9)}.{R.randint(0, 30)}.{R.randint(0, 40)}",
        lambda: f"v{R.randint(1, 5)}.{R.randint(0, 20)}.{R.randint(0, 9)}",
        lambda: f"{R.randint(1, 4)}.{R.randint(0, 12)}.{R.randint(0, 9)}-rc.{R.randint(1, 5)}",
    ])()


def winver():
    return f"10.0.{R.choice([19041, 19044, 19045, 22000, 22621, 22631, 26100])}.{R.randint(300, 5000)}"


def unix_ts():
    return str(R.randint(1546300800, 1796000000))


def unix_ms():
    return str(R.randint(1546300800000, 1796000000000))


def rand_date():
    return datetime.date(2019, 1, 1) + datetime.timedelta(days=R.randint(0, 2900))


def date_str():
    d = rand_date()
    return R.choice([d.isoformat(), d.strftime("%m/%d/%Y"), d.strftime("%d.%m.%Y"),
                     d.strftime("%B %-d, %Y"), d.strftime("%-d %b %Y")])


def ts_iso_v():
    d = datetime.datetime(2019, 1, 1) + datetime.timedelta(seconds=R.randint(0, 250_000_000))
    form = R.choice(["z", "space", "ms"])
    if form == "z":
        return d.strftime("%Y-%m-%dT%H:%M:%SZ")
    if form == "space":
        return d.strftime("%Y-%m-%d %H:%M:%S")
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{R.randint(0, 999):03d}Z"


def clf_time():
    d = datetime.datetime(2019, 1, 1) + datetime.timedelta(seconds=R.randint(0, 250_000_000))
    return d.strftime("%d/%b/%Y:%H:%M:%S +0000")


def price():
    a = R.randint(100, 999999) / 100
    return R.choice([f"${a:,.2f}", f"USD {a:,.2f}", f"£{a:,.2f}", f"€{a:,.2f}"])


def price_eu():
    a = f"{R.randint(100, 999999) / 100:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    return R.choice([f"{a} €", f"€{a}", f"EUR {a}"])


def price_num():
    return f"{R.randint(100, 999999) / 100:.2f}"


def zip_code():
    f = R.choice(["us", "us4", "gb", "de"])
    if f == "us":
        return fk("en_US").zipcode()
    if f == "us4":
        return fk("en_US").zipcode_plus4()
    if f == "gb":
        return fk("en_GB").postcode()
    return fk("de_DE").postcode()


def exp_date():
    return f"{R.randint(1, 12):02d}/{R.randint(26, 31)}"


EN_GEN = {
    # labelled
    "person": lambda: E("PERSON", full_name()),
    "first": lambda: E("PERSON", first_name()),
    "card": lambda: E("CREDIT_CARD", card_number()),
    "card_raw": lambda: E("CREDIT_CARD", card_number("raw")),
    "iban": lambda: E("IBAN_CODE", iban()),
    "iban_raw": lambda: E("IBAN_CODE", iban("raw")),
    "iban_grp": lambda: E("IBAN_CODE", iban("grp")),
    "ssn": lambda: E("US_SSN", fk("en_US").ssn()),
    "email": lambda: E("EMAIL_ADDRESS", email()),
    "phone": phone_any,
    "phone_intl": phone_intl,
    "phone_us": lambda: phone_loc("en_US"),
    "phone_de": lambda: phone_loc("de_DE"),
    "phone_fr": lambda: phone_loc("fr_FR"),
    "phone_jp": lambda: phone_loc("ja_JP"),
    "phone_gb": lambda: phone_loc("en_GB"),
    "phone_in": lambda: phone_loc("hi_IN"),
    "phone_br": lambda: phone_loc("pt_BR"),
    "phone_au": lambda: phone_loc("en_AU"),
    "phone_ca": lambda: phone_loc("en_CA"),
    "msisdn": msisdn,
    "ip": lambda: E("IP_ADDRESS", ipv4()),
    "ip4pub": lambda: E("IP_ADDRESS", fk("en_US").ipv4_public()),
    "ipv6": lambda: E("IP_ADDRESS", fk("en_US").ipv6()),
    "ip_any": lambda: E("IP_ADDRESS", ipv4() if R.random() < 0.65 else fk("en_US").ipv6()),
    # hard negatives
    "order": lambda: N("ORDER_NUMBER", order_no()),
    "tracking": lambda: N("TRACKING_NUMBER", tracking_no()),
    "bad_card": lambda: N("BAD_LUHN_CARD", bad_card()),
    "invoice": lambda: N("INVOICE", invoice_no()),
    "version": lambda: N("VERSION", version()),
    "winver": lambda: N("VERSION", winver()),
    "isbn": lambda: N("ISBN", fk("en_US").isbn13()),
    "isbn10": lambda: N("ISBN", fk("en_US").isbn10()),
    "uuid": lambda: N("UUID", fk("en_US").uuid4()),
    "unix": lambda: N("TIMESTAMP", unix_ts()),
    "unix_ms": lambda: N("TIMESTAMP", unix_ms()),
    "ts_iso": lambda: N("TIMESTAMP", ts_iso_v()),
    "clf_time": lambda: N("TIMESTAMP", clf_time()),
    "price": lambda: N("PRICE", price()),
    "price_eu": lambda: N("PRICE", price_eu()),
    "price_num": lambda: N("PRICE", price_num()),
    "zip": lambda: P(zip_code()),
    "date": lambda: N("DATE", date_str()),
    # plain
    "company": lambda: P(fk("en_US").company()),
    "city": lambda: P(fk(R.choice(["en_US", "en_GB", "en_CA"])).city()),
    "street": lambda: P(fk("en_US").street_address()),
    "job": lambda: P(fk("en_US").job()),
    "booktitle": lambda: P(fk("en_US").catch_phrase()),
    "month": lambda: P(R.choice(["January", "March", "May", "July", "September", "November"])),
    "exp": lambda: P(exp_date()),
    "pid": lambda: P(str(R.randint(200, 65000))),
    "port": lambda: P(str(R.randint(1024, 65000))),
    "bytes": lambda: P(str(R.randint(90, 9000))),
    "otp": lambda: P(digits(6)),
    "empid": lambda: P(f"E-{digits(5)}"),
    "sku": lambda: P(f"SKU-{digits(5)}-{R.choice(['BL', 'RD', 'XL', 'S', 'M'])}"),
    "host": lambda: P(R.choice(["db-1", "db-2", "web-3", "edge-7", "cache-a", "vpn-gw"])),
}


# ---------------------------------------------------------------- Chinese values

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, O
UNIONPAY_BINS = ["622202", "621226", "622848", "621700", "622700", "622588", "621483",
                 "622262", "621661", "623668", "622908", "621799", "622155", "621558",
                 "623058", "622609", "621485", "622230"]
BANKS = ["中国工商银行", "中国建设银行", "中国农业银行", "中国银行", "招商银行", "交通银行",
         "浦发银行", "中信银行", "兴业银行", "平安银行"]
AREA_8 = ["010", "020", "021", "022", "023", "024", "025", "027", "028", "029"]
AREA_4 = ["0755", "0571", "0512", "0532", "0371", "0731", "0851", "0871", "0591", "0769",
          "0757", "0574", "0311", "0431", "0898", "0931"]


def zh():
    return fk("zh_CN")


def resident_id():
    while True:
        v = zh().ssn(min_age=18, max_age=75)
        if rid_ok(v):
            return v
        # Faker's check digit was wrong: drop it (counted in the README's run notes)
        STATS["rid_dropped"] += 1


def bad_resident_id():
    v = resident_id()
    wrong = R.choice([c for c in "0123456789X" if c != v[17]])
    return v[:17] + wrong


def uscc():
    admin = resident_id()[:6]
    prefix = R.choice(["91"] * 8 + ["92", "93", "11", "12", "51", "52", "53", "Y1"])
    if R.random() < 0.6:
        body = digits(8, "123456789")
    else:
        body = "MA" + "".join(R.choice(USCC_CS) for _ in range(6))
    org = body + org_check(body)
    s17 = prefix + admin + org
    assert all(c in USCC_CS for c in s17), s17
    return s17 + uscc_check(s17)


def bad_uscc():
    v = uscc()
    return v[:17] + R.choice([c for c in USCC_CS if c != v[17]])


def bank_card(fmt=None):
    n = R.choice([16, 19])
    num = luhn_complete(R.choice(UNIONPAY_BINS) + digits(n - 7))
    fmt = fmt or R.choices(["raw", "space"], [70, 30])[0]
    return num if fmt == "raw" else group(num, [4] * 5, " ")


def bad_bank_card():
    n = R.choice([16, 19])
    num = luhn_complete(R.choice(UNIONPAY_BINS) + digits(n - 7))
    num = num[:-1] + str((int(num[-1]) + R.randint(1, 9)) % 10)
    assert not luhn_ok(num)
    return num


def cn_mobile(fmt=None):
    v = zh().phone_number()
    assert re.fullmatch(r"1[3-9]\d{9}", v), v
    fmt = fmt or R.choices(["raw", "+86sp", "+86", "dash", "space"], [65, 10, 10, 8, 7])[0]
    if fmt == "raw":
        return v
    if fmt == "+86sp":
        return f"+86 {v[:3]} {v[3:7]} {v[7:]}"
    if fmt == "+86":
        return R.choice(["+86", "+86-", "+86 "]) + v
    if fmt == "dash":
        return f"{v[:3]}-{v[3:7]}-{v[7:]}"
    return f"{v[:3]} {v[3:7]} {v[7:]}"


def cn_landline():
    if R.random() < 0.5:
        area, local = R.choice(AREA_8), digits(8, "2345678")
    else:
        area = R.choice(AREA_4)
        local = digits(R.choice([7, 8]), "2345678")
    form = R.choices(["dash", "paren", "paren_sp", "space"], [60, 20, 10, 10])[0]
    if form == "dash":
        return f"{area}-{local}"
    if form == "paren":
        return f"({area}){local}"
    if form == "paren_sp":
        return f"({area}) {local}"
    return f"{area} {local}"


def cn_passport():
    form = R.choices(["E", "G", "EA"], [50, 20, 30])[0]
    if form == "E":
        return "E" + digits(8)
    if form == "G":
        return "G" + digits(8)
    return "E" + R.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + digits(7)


def plate_tail5():
    chars = [R.choice(string.digits) for _ in range(5)]
    for i in R.sample(range(5), R.choice([0, 0, 1, 1, 2])):
        chars[i] = R.choice(PLATE_LETTERS)
    return "".join(chars)


def cn_plate():
    form = R.choices(["faker", "plain", "dot"], [40, 50, 10])[0]
    if form == "faker":
        while True:
            v = zh().license_plate()
            if v[1] != "I":
                return v
    p, l = R.choice(PROVINCES), R.choice(PLATE_LETTERS)
    return p + l + ("·" if form == "dot" else "") + plate_tail5()


def cn_plate_ne():
    p, l = R.choice(PROVINCES), R.choice(PLATE_LETTERS)
    if R.random() < 0.7:  # small car: D/F + letter or digit + 4 digits
        tail = R.choice("DF") + R.choice(PLATE_LETTERS + string.digits) + digits(4)
    else:  # large vehicle: 5 digits + D/F
        tail = digits(5) + R.choice("DF")
    return p + l + tail


CN_MAIL_DOMAINS = ["qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "aliyun.com",
                   "139.com", "outlook.com"]


def cn_email():
    form = R.choice(["faker", "free", "qq", "user"])
    if form == "faker":
        return zh().email()
    if form == "free":
        return zh().free_email()
    if form == "qq":
        return f"{digits(R.randint(6, 10), '123456789')}@qq.com"
    return f"{zh().user_name()}@{R.choice(CN_MAIL_DOMAINS)}"


def cn_order():
    while True:
        v = R.choice([
            lambda: digits(19, "123456789"),
            lambda: digits(18, "123456789"),
            lambda: digits(12, "23456789"),
            lambda: "DD" + rand_date().strftime("%Y%m%d") + digits(6),
            lambda: "E" + rand_date().strftime("%Y%m%d") + digits(8),
        ])()
        d = re.sub(r"\D", "", v)
        if 12 <= len(d) <= 19 and luhn_ok(d):
            continue
        if len(v) == 18 and v.isdigit() and rid_check(v[:17]) == v[17]:
            continue
        return v


def cn_tracking():
    while True:
        v = R.choice([
            lambda: "SF" + digits(R.choice([12, 13]), "123456789"),
            lambda: "YT" + digits(13, "123456789"),
            lambda: "JDV" + digits(12),
            lambda: "JD" + digits(13),
            lambda: "75" + digits(12),
        ])()
        d = re.sub(r"\D", "", v)
        if not (12 <= len(d) <= 19 and luhn_ok(d)):
            return v


def cn_n11():
    return "1" + R.choice("012") + digits(9)


def cn_amount():
    a = R.randint(100, 5_000_000) / 100
    return R.choice([f"¥{a:,.2f}", f"{a:.2f}", f"{a:,.2f}", f"￥{a:.2f}"])


def cn_date():
    d = rand_date()
    return R.choice([f"{d.year}年{d.month}月{d.day}日", d.strftime("%Y年%m月%d日"), d.isoformat(),
                     d.strftime("%Y/%m/%d")])


def cn_ts():
    d = datetime.datetime(2019, 1, 1) + datetime.timedelta(seconds=R.randint(0, 250_000_000))
    return d.strftime("%Y-%m-%d %H:%M:%S")


def cn_address():
    z = zh()
    return z.province() + z.city() + z.district() + z.street_address()


ZH_GEN = {
    "person": lambda: E("PERSON", zh().name()),
    "rid": lambda: E("CN_RESIDENT_ID", resident_id()),
    "uscc": lambda: E("CN_USCC", uscc()),
    "bankcard": lambda: E("BANK_CARD", bank_card()),
    "bankcard_sp": lambda: E("BANK_CARD", bank_card("space")),
    "mobile": lambda: E("CN_MOBILE", cn_mobile()),
    "mobile_raw": lambda: E("CN_MOBILE", cn_mobile("raw")),
    "landline": lambda: E("CN_LANDLINE", cn_landline()),
    "passport": lambda: E("CN_PASSPORT", cn_passport()),
    "plate": lambda: E("CN_LICENSE_PLATE", cn_plate()),
    "plate_ne": lambda: E("CN_LICENSE_PLATE", cn_plate_ne()),
    "email": lambda: E("EMAIL_ADDRESS", cn_email()),
    "ip": lambda: E("IP_ADDRESS", ipv4()),
    "ipv6": lambda: E("IP_ADDRESS", fk("en_US").ipv6()),
    # hard negatives
    "bad_rid": lambda: N("BAD_CHECK_ID", bad_resident_id()),
    "bad_uscc": lambda: N("BAD_CHECK_USCC", bad_uscc()),
    "bad_card": lambda: N("BAD_LUHN_CARD", bad_bank_card()),
    "order": lambda: N("ORDER_NUMBER", cn_order()),
    "tracking": lambda: N("TRACKING_NUMBER", cn_tracking()),
    "n11": lambda: N("ELEVEN_DIGIT_NUMBER", cn_n11()),
    "amount": lambda: N("PRICE", cn_amount()),
    "amount_n": lambda: N("PRICE", f"{R.randint(100, 5_000_000) / 100:.2f}"),
    "date": lambda: N("DATE", cn_date()),
    "ts": lambda: N("TIMESTAMP", cn_ts()),
    "unix": lambda: N("TIMESTAMP", unix_ts()),
    "version": lambda: N("VERSION", version()),
    # plain
    "company": lambda: P(zh().company()),
    "bank": lambda: P(R.choice(BANKS)),
    "address": lambda: P(cn_address()),
    "gender": lambda: P(R.choice("男女")),
    "time": lambda: P(f"{R.randint(0, 23):02d}:{R.randint(0, 59):02d}"),
    "n": lambda: P(str(R.randint(1, 3000))),
    "job": lambda: P(zh().job()),
    "pid": lambda: P(str(R.randint(200, 65000))),
}


# ---------------------------------------------------------------- templates
# Slots are [[name]] or [[name#k]]; the same slot within one record has the
# same value. A template is a string, or a function returning one (for a
# varying number of rows). ctx=False marks templates whose values stand with
# no context word right before them (CSV rows, signatures, bare values).

class T:
    def __init__(self, text, ctx=True):
        self.text, self.ctx = text, ctx


def csv_people_header():
    rows = "\n".join(f"[[person#{i}]],[[email#{i}]],[[phone#{i}]]" for i in range(R.randint(1, 3)))
    return R.choice(["name,email,phone\n", "Name,E-mail,Telephone\n", "full_name,contact_email,contact_no\n"]) + rows


def csv_people_noheader():
    return "\n".join(f"[[person#{i}]],[[email#{i}]],[[phone#{i}]],[[zip#{i}]]" for i in range(R.randint(1, 3)))


def md_people():
    rows = "\n".join(f"| [[person#{i}]] | [[email#{i}]] | [[phone#{i}]] |" for i in range(R.randint(2, 3)))
    return "| Name | Email | Phone |\n|------|-------|-------|\n" + rows


EN_TEMPLATES = [
    # --- prose, Presidio-like
    T("Please update the billing card [[card]] for [[person]] before the renewal on [[date]]."),
    T("I, [[person]], authorise [[company]] to charge [[card]] the sum of [[price]] every month."),
    T("My social security number is [[ssn]] and I moved to [[city]] last spring."),
    T("Kindly wire the deposit to IBAN [[iban]]; the account holder is [[person]]."),
    T("[[person]] asked us to call her back on [[phone]] after 5pm."),
    T("For billing questions write to [[email]] or ring [[phone]] during office hours."),
    T("The host at [[ip]] started refusing connections around midnight, and [[ip#2]] followed an hour later."),
    T("His new number is [[phone]] - the old one, [[phone#2]], was cut off in [[month]]."),
    T("Could you check why [[email]] never got the reset link? The last login came from [[ipv6]]."),
    T("Our offices: Berlin [[phone_de]], Paris [[phone_fr]], Tokyo [[phone_jp]]."),
    T("When calling from abroad, dial [[phone_intl]] and ask for [[first]]."),
    T("Payment of [[price]] received from [[iban]] on [[date]], reference [[invoice]]."),
    T("The applicant, [[person]] (SSN [[ssn]]), listed [[email]] as a contact address."),
    T("Reached [[first]] at [[phone_us]]; she will confirm the appointment by [[date]]."),
    T("Ticket 4471: customer [[person]] says [[card]] was charged twice ([[price]] each)."),
    # --- support chats
    T("Agent: Thanks for contacting support, how can I help?\nCustomer: I need to replace the card on file with [[card]].\n"
      "Agent: Done. Is [[email]] still the best address for receipts?\nCustomer: yes thanks"),
    T("[10:42] customer: hi my order [[order]] never arrived\n[10:43] agent: sorry about that! what's a good callback number?\n"
      "[10:44] customer: [[phone]]", ctx=False),
    T("customer: here is the ssn the form wanted [[ssn]]\nagent: Please don't post that in chat, I've removed it from the transcript."),
    T("User: iban for the refund is [[iban_grp]]\nBot: Thanks [[first]]! A refund of [[price]] is on its way."),
    T("> [[first]]: can someone allowlist me? I'm on [[ip]]\n> ops-bot: added [[ip]] (expires [[date]])"),
    T("Visitor: I tried [[card]] twice and it keeps failing\nAgent: Could you try another one? Also, which address is on the account?\n"
      "Visitor: [[email]]", ctx=False),
    # --- e-mail bodies and signatures
    T("Hi [[first]],\n\nAttached is invoice [[invoice]] for [[price]]. Please pay by transfer to [[iban]] within 30 days.\n\nThanks,\n[[person]]"),
    T("Best regards,\n[[person]]\n[[job]] | [[company]]\n[[phone]]\n[[email]]", ctx=False),
    T("--\n[[person]]\nM [[phone]] / T [[phone#2]]\n[[street]]", ctx=False),
    T("Dear [[person]],\n\nWe noticed a sign-in from [[ip]] on [[date]]. If this wasn't you, reply to [[email]] right away.\n\nThe Security Team"),
    T("From: [[person]] <[[email]]>\nTo: [[person#2]] <[[email#2]]>\nSubject: details\n\nAs discussed: [[card]] exp [[exp]]. Delete after use!"),
    T("Thanks again for lunch!\n\n[[first]]\n[[phone]] | [[email]]\nSent from my phone", ctx=False),
    # --- logs
    T("[[ts_iso]] INFO auth: login ok user=[[email]] src=[[ip]]"),
    T("[[ts_iso]] WARN payments: charge declined pan=[[card_raw]] reason=insufficient_funds req=[[uuid]]"),
    T('[[ip]] - - [[[clf_time]]] "GET /api/v2/orders HTTP/1.1" 200 [[bytes]] "-" "Mozilla/5.0"', ctx=False),
    T("sshd[[[pid]]]: Failed password for invalid user admin from [[ip]] port [[port]] ssh2"),
    T('ts=[[unix]] level=debug msg="sms dispatched" msisdn=[[msisdn]] provider=twilio'),
    T("kernel: [UFW BLOCK] IN=eth0 OUT= SRC=[[ipv6]] DST=[[ipv6#2]] LEN=80 PROTO=TCP SPT=[[port]] DPT=443"),
    T("export [[uuid]] row 42: holder=[[person]] iban=[[iban_raw]] amount=[[price]]"),
    T("postfix/smtpd[[[pid]]]: NOQUEUE: reject: RCPT from unknown[[[ip]]]: 554 Relay access denied; to=<[[email]]>"),
    # --- JSON
    T('{"customer": {"name": "[[person]]", "email": "[[email]]", "phone": "[[phone]]"}, "order_id": "[[order]]"}'),
    T('{"event": "card.updated", "data": {"last_ip": "[[ip]]", "pan": "[[card_raw]]"}, "created": [[unix]]}'),
    T('{"tool": "send_payment", "arguments": {"beneficiary": "[[person]]", "iban": "[[iban_raw]]", '
      '"amount": "[[price_num]]", "reference": "[[invoice]]"}}'),
    T('{"v": ["[[person]]", "[[ssn]]", "[[phone]]", "[[email]]"]}', ctx=False),
    T('[{"ts": [[unix_ms]], "peer": "[[ipv6]]"}, {"ts": [[unix_ms#2]], "peer": "[[ip]]"}]', ctx=False),
    T('{"to": "[[msisdn]]", "body": "Your code is [[otp]]", "from": "[[first]]"}', ctx=False),
    # --- YAML
    T('contact:\n  name: [[person]]\n  email: [[email]]\n  mobile: "[[phone]]"\nschema_version: [[version]]'),
    T('servers:\n  - host: [[ip]]\n    role: primary\n  - host: [[ip#2]]\n    role: replica\n  - host: "[[ipv6]]"\n    role: witness'),
    T('billing:\n  holder: [[person]]\n  account: [[iban_grp]]\n  card: "[[card]]"\n  since: [[date]]'),
    T("- [[person]]\n- [[email]]\n- '[[phone]]'", ctx=False),
    # --- CSV / TSV
    T(csv_people_header, ctx=False),
    T(csv_people_noheader, ctx=False),
    T("employee_id,ssn,hire_date\n[[empid]],[[ssn]],[[date]]\n[[empid#2]],[[ssn#2]],[[date#2]]", ctx=False),
    T("Name;IBAN;Betrag\n[[person]];[[iban_raw]];[[price_eu]]", ctx=False),
    T("[[ip_any]]\t[[ts_iso]]\t[[email]]", ctx=False),
    T('card_number,exp,holder\n"[[card]]",[[exp]],[[person]]', ctx=False),
    # --- form dumps
    T("Full name: [[person]]\nSSN: [[ssn]]\nPhone: [[phone]]\nZIP: [[zip]]"),
    T("FIELD applicant_email=[[email]]; FIELD applicant_tel=[[phone]]; FIELD submitted=[[date]]"),
    T("Cardholder ......... [[person]]\nCard number ........ [[card]]\nBilling ZIP ........ [[zip]]"),
    T("POST /signup 201 name=[[person]] email=[[email]] client_ip=[[ip4pub]]"),
    # --- SMS-style
    T("[[first]] here, new num [[phone]] save it"),
    T("ur promo code wont work, just use my card [[card]] lol"),
    T("txt me at [[phone_gb]] when ur outside 🚗"),
    T("ok sent it to [[email]] 👍"),
    T("it's [[ssn]] right? or was that my old one", ctx=False),
    T("[[phone]]\n^ that's mine, the other one is dead", ctx=False),
    # --- Markdown tables and lists
    T(md_people, ctx=False),
    T("| Host | Address | Last seen |\n|---|---|---|\n| [[host]] | [[ip]] | [[date]] |\n| [[host#2]] | [[ipv6]] | [[date#2]] |", ctx=False),
    T("| Payee | IBAN | Amount |\n|:--|:--|--:|\n| [[person]] | [[iban_grp]] | [[price_eu]] |", ctx=False),
    T("Onboarding checklist for [[person]]:\n- [x] laptop ordered\n- [ ] payroll IBAN: [[iban]]\n- [ ] emergency contact: [[phone]]"),
    T("* primary: [[email]]\n* backup: [[email#2]]\n* pager: [[phone]]"),
    T("Blocked today:\n • [[ip]]\n • [[ip#2]]\n • [[ipv6]]", ctx=False),
    # --- other shapes
    T("[[person]] · [[phone]] · [[email]]", ctx=False),
    T("BEGIN:VCARD\nVERSION:3.0\nFN:[[person]]\nTEL;TYPE=cell:[[phone]]\nEMAIL:[[email]]\nEND:VCARD"),
    T("X-Forwarded-For: [[ip4pub]], [[ip]]\nX-Request-Id: [[uuid]]"),
    T("$ ssh -l deploy -p [[port]] [[ip]]\n$ ping6 -c 3 [[ipv6]]", ctx=False),
    T("INSERT INTO customers (name, email, ssn) VALUES ('[[person]]', '[[email]]', '[[ssn]]');"),
    T("ValueError: invalid recipient '[[email]]' (attempt 3 of 5)"),
    T("[[card]]\nexp [[exp]]\n[[person]]", ctx=False),
    T("Wire details\n[[person]]\n[[iban_grp]]\n[[company]]", ctx=False),
    T("Numbers for the trip: hotel [[phone_in]], driver [[phone_br]], [[first]] [[phone_au]]", ctx=False),
    T("Called [[phone_ca]] twice, no answer. Left a message for [[first]].", ctx=False),
    # --- no positive entity, hard negatives only
    T("Your order [[order]] has shipped! Track it with [[tracking]]. Expected delivery: [[date]]."),
    T("Upgraded libfoo from [[version]] to [[version#2]]; tested on Windows build [[winver]]."),
    T("Invoice [[invoice]] - total [[price]], due [[date]]. Ship to ZIP [[zip]]."),
    T("[[ts_iso]] job=[[uuid]] started_at=[[unix]] duration_ms=[[bytes]] status=ok"),
    T("Reading list: '[[booktitle]]' (ISBN [[isbn]]) and '[[booktitle#2]]' (ISBN [[isbn10]])."),
    T("The gift card number [[bad_card]] was rejected: it failed validation. Please re-enter it."),
    T("sku,price,updated_at\n[[sku]],[[price_num]],[[unix]]\n[[sku#2]],[[price_num#2]],[[unix#2]]"),
    T('{"order_id": "[[order]]", "amount": [[price_num]], "currency": "USD", "placed_at": [[unix_ms]], "zip": "[[zip]]"}'),
    T("Return label for [[order]]: carrier tracking [[tracking]], refund of [[price]] expected by [[date]]."),
    T("Loyalty no. [[bad_card]] - points balance 1,240 as of [[date]]."),
    T("Receipt: [[price]] paid on [[date]] for order [[order]]; keep receipt id [[uuid]] for returns."),
    T("Changelog [[date]]: bumped schema to [[version]], rebuilt on Windows [[winver]], deployed at [[unix]]."),
]


def zh_table():
    rows = "\n".join(f"| [[person#{i}]] | [[mobile#{i}]] | [[rid#{i}]] |" for i in range(R.randint(2, 3)))
    return "| 姓名 | 手机号 | 身份证号 |\n| --- | --- | --- |\n" + rows


def zh_csv():
    return "\n".join(f"[[person#{i}]],[[rid#{i}]],[[mobile#{i}]],[[bankcard#{i}]]" for i in range(R.randint(1, 3)))


ZH_TEMPLATES = [
    # --- customer service
    T("您好，我是[[person]]，身份证号[[rid]]，想查一下我的社保缴费记录。"),
    T("麻烦把退款退回原卡[[bankcard]]，谢谢！"),
    T("客服：请提供一下下单时的手机号\n用户：[[mobile]]\n客服：好的，收货人姓名呢？\n用户：[[person]]", ctx=False),
    T("用户反馈：绑定邮箱[[email]]收不到验证码，登录IP为[[ip]]，请协助排查。"),
    # --- HR forms
    T("姓名：[[person]]\n性别：[[gender]]\n身份证号码：[[rid]]\n手机：[[mobile]]\n邮箱：[[email]]\n入职日期：[[date]]"),
    T("工资卡信息登记：员工[[person]]，开户行[[bank]]，卡号[[bankcard_sp]]。"),
    T("应聘者[[person]]（[[job]]岗）的联系方式：[[mobile]]，[[email]]", ctx=False),
    # --- couriers
    T("【顺丰速运】您的快件[[tracking]]已由[[person]]签收，如有疑问请致电[[landline]]。"),
    T("快递员留言：放门卫了，有问题打我电话[[mobile]]"),
    T("寄件人：[[person]] [[mobile]]\n收件地址：[[address]]", ctx=False),
    # --- bank notices
    T("【银行通知】您的账户[[bankcard]]于[[date]]入账人民币[[amount_n]]元，请注意查收。"),
    T("请核对收款账户：户名[[person]]，卡号[[bankcard_sp]]，开户行[[bank]]。"),
    # --- enterprises / invoices
    T("[[company]]（统一社会信用代码：[[uscc]]）法定代表人[[person]]，注册电话[[landline]]。"),
    T("开票信息\n名称：[[company]]\n税号：[[uscc]]\n地址、电话：[[address]] [[landline]]\n开户行及账号：[[bank]] [[bankcard]]"),
    T('{"tool": "create_invoice", "arguments": {"buyer": "[[company]]", "tax_id": "[[uscc]]", "amount": "[[amount]]"}}'),
    # --- logs / JSON
    T("[[ts]] INFO user_login uid=[[n]] phone=[[mobile_raw]] ip=[[ip]]"),
    T('{"level":"warn","msg":"实名认证失败","id_card":"[[rid]]","mobile":"[[mobile_raw]]","ts":[[unix]]}'),
    T("[[ip]] - - [[[ts]]] \"POST /api/v1/kyc HTTP/1.1\" 200 [[pid]]", ctx=False),
    T("联系人:\n  姓名: [[person]]\n  手机: \"[[mobile]]\"\n  证件号: [[rid]]"),
    # --- WeChat-style
    T("[[person]]：我手机号[[mobile]]，到了给我打电话哈😊"),
    T("你加我这个吧 [[mobile]] 微信同号", ctx=False),
    T("请把 contract 发到 [[email]]，抄送 [[email#2]]，谢谢～"),
    # --- travel / vehicles
    T("申请人[[person]]，护照号码[[passport]]，联系电话[[mobile]]。"),
    T("旅客[[person]]（[[passport]]）已出票，行程单号[[order]]。", ctx=False),
    T("车牌号为[[plate]]的车辆于[[date]]在禁停路段停放，请车主[[person]]尽快处理。"),
    T("[[plate]] 已入场 [[time]]\n[[plate#2]] 已出场 [[time#2]]", ctx=False),
    T("我的新能源车[[plate_ne]]明天上午要用充电桩，麻烦帮忙预约一下。"),
    # --- tables, contact cards
    T(zh_table, ctx=False),
    T(zh_csv, ctx=False),
    T("[[person]]\t[[passport]]\t[[date]]", ctx=False),
    T("供应商资质审核：[[company]]，信用代码[[uscc]]，联系人[[person]]（护照[[passport]]）。"),
    T("[[uscc]]　[[company]]　存续", ctx=False),
    T("出差人员护照信息\n[[person]] [[passport]]\n[[person#2]] [[passport#2]]", ctx=False),
    T("总机：[[landline]]　传真：[[landline#2]]\n——[[company]]"),
    T("——\n[[person]]\n[[company]] 财务部\n[[landline]]\n[[mobile]]\n[[email]]", ctx=False),
    # --- no positive entity, hard negatives only
    T("您的订单[[order]]已发货，快递单号[[tracking]]，预计[[date]]送达。"),
    T("本次共消费[[amount_n]]元，积分[[n]]分，交易流水号[[order]]。"),
    T("系统提示：身份证号[[bad_rid]]校验失败，请重新输入。"),
    T("该统一社会信用代码[[bad_uscc]]校验位错误，无法开具发票。"),
    T("工单编号[[n11]]已受理，处理结果将于[[date]]前短信通知。"),
    T("卡号[[bad_card]]无效（校验未通过），请核对后重新绑定。"),
    T("版本[[version]]于[[date]]发布，修复了金额显示为[[amount]]的问题。"),
    T("批量导入失败：第[[n]]行身份证号[[bad_rid]]校验位不符；第[[n#2]]行统一社会信用代码[[bad_uscc]]无效。"),
    T('{"code":400,"msg":"卡号校验失败","card_no":"[[bad_card]]","order_no":"[[order]]"}'),
    T("会员号[[n11]]，下单时间[[ts]]，实付[[amount_n]]元。"),
]


# ---------------------------------------------------------------- rendering

SLOT = re.compile(r"\[\[([a-z0-9_]+)(?:#(\d+))?\]\]")
STATS = {"rid_dropped": 0}


def tally(kind, key):
    d = STATS.setdefault(kind, {})
    d[key] = d.get(key, 0) + 1


def render(tpl, gens):
    src = tpl.text() if callable(tpl.text) else tpl.text
    cache = {}
    pieces = []
    pos = 0
    for m in SLOT.finditer(src):
        if m.start() > pos:
            pieces += P(src[pos:m.start()])
        key = m.group(0)
        if key not in cache:
            cache[key] = gens[m.group(1)]()
        pieces += cache[key]
        pos = m.end()
    pieces += P(src[pos:])
    text, ents, negs = "", [], []
    for kind, typ, val in pieces:
        if kind is not None:
            start = len(text)
            span = {"type": typ, "start": start, "end": start + len(val),
                    "byte_start": len(text.encode("utf-8")),
                    "byte_end": len(text.encode("utf-8")) + len(val.encode("utf-8")),
                    "value": val}
            (ents if kind == "E" else negs).append(span)
        text += val
    return text, ents, negs


def check_value(typ, v):
    d = re.sub(r"[ \-]", "", v)
    if typ == "CREDIT_CARD":
        assert d.isdigit() and 12 <= len(d) <= 19 and luhn_ok(d), v
    elif typ == "BANK_CARD":
        assert d.isdigit() and d.startswith("62") and len(d) in (16, 19) and luhn_ok(d), v
    elif typ == "IBAN_CODE":
        assert iban_ok(v), v
    elif typ == "US_SSN":
        assert ssn_ok(v), v
    elif typ == "EMAIL_ADDRESS":
        assert re.fullmatch(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,}", v), v
    elif typ == "PHONE_NUMBER":
        assert PHONE_RE.fullmatch(v), v
        assert 7 <= len(re.sub(r"x\d+$", "", v).translate(str.maketrans("", "", "+ ().-"))) <= 15, v
    elif typ == "IP_ADDRESS":
        ipaddress.ip_address(v)
    elif typ == "CN_RESIDENT_ID":
        assert rid_ok(v), v
    elif typ == "CN_USCC":
        assert uscc_ok(v), v
    elif typ == "CN_MOBILE":
        assert re.fullmatch(r"1[3-9]\d{9}", re.sub(r"^\+86", "", v).replace(" ", "").replace("-", "")), v
    elif typ == "CN_LANDLINE":
        assert re.fullmatch(r"\(?0\d{2,3}\)?[ -]?[2-8]\d{6,7}", v), v
    elif typ == "CN_PASSPORT":
        assert re.fullmatch(r"[EG]\d{8}|E[A-HJ-NP-Z]\d{7}", v), v
    elif typ == "CN_LICENSE_PLATE":
        assert v[0] in PROVINCES and 7 <= len(v) <= 9, v
    elif typ == "BAD_LUHN_CARD":
        assert d.isdigit() and not luhn_ok(d), v
    elif typ == "BAD_CHECK_ID":
        assert len(v) == 18 and not rid_ok(v), v
    elif typ == "BAD_CHECK_USCC":
        assert len(v) == 18 and not uscc_ok(v), v
    elif typ == "ELEVEN_DIGIT_NUMBER":
        assert re.fullmatch(r"1[012]\d{9}", v), v


def check_record(rec):
    text = rec["text"]
    b = text.encode("utf-8")
    spans = sorted(rec["entities"] + rec["hard_negatives"], key=lambda s: s["start"])
    for s in spans:
        assert text[s["start"]:s["end"]] == s["value"], (rec["id"], s)
        assert b[s["byte_start"]:s["byte_end"]].decode("utf-8") == s["value"], (rec["id"], s)
        assert s["byte_start"] == len(text[:s["start"]].encode("utf-8")), (rec["id"], s)
        assert s["value"] == s["value"].strip() and s["value"], (rec["id"], s)
        check_value(s["type"], s["value"])
    for a, c in zip(spans, spans[1:]):
        assert a["end"] <= c["start"], (rec["id"], a, c)


def build(lang, templates, gens, total):
    recs = []
    base, extra = divmod(total, len(templates))
    for tid, tpl in enumerate(templates):
        for _ in range(base + (1 if tid < extra else 0)):
            text, ents, negs = render(tpl, gens)
            rec = {"id": f"{lang}-blind-{len(recs):04d}", "text": text, "entities": ents, "lang": lang,
                   "source": SOURCE, "template_id": tid, "hard_negatives": negs}
            check_record(rec)
            recs.append(rec)
    return recs


def counts(recs, key):
    c = {}
    for r in recs:
        for s in r[key]:
            c[s["type"]] = c.get(s["type"], 0) + 1
    return dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "eval", "dlp-blind")
    os.makedirs(out, exist_ok=True)
    sets = {
        "en": (EN_TEMPLATES, build("en", EN_TEMPLATES, EN_GEN, N_EN)),
        "zh": (ZH_TEMPLATES, build("zh", ZH_TEMPLATES, ZH_GEN, N_ZH)),
    }
    for lang, (templates, recs) in sets.items():
        with open(os.path.join(out, f"{lang}.jsonl"), "w", encoding="utf-8") as fh:
            for r in recs:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        ctx_free = sum(1 for r in recs if not templates[r["template_id"]].ctx)
        neg_only = sum(1 for r in recs if not [e for e in r["entities"] if e["type"] != "PERSON"])
        multi = sum(1 for r in recs if len([e for e in r["entities"] if e["type"] != "PERSON"]) >= 2)
        print(f"{lang}: {len(recs)} records, {len(templates)} templates, "
              f"{ctx_free} from context-free templates, {neg_only} with no scored entity, "
              f"{multi} with two or more scored entities")
        print(f"  entities: {counts(recs, 'entities')}")
        print(f"  hard negatives: {counts(recs, 'hard_negatives')}")
    print(f"zh_CN ssn values dropped for a wrong check digit: {STATS['rid_dropped']}")
    for k, v in STATS.items():
        if isinstance(v, dict):
            print(f"{k}: {dict(sorted(v.items(), key=lambda kv: (-kv[1], kv[0])))}")


if __name__ == "__main__":
    main()
