#!/usr/bin/env python3
"""Generates fanzha's self-written SMS examples from templates with slots (brand, amount, domain,
time, number).

Two DISJOINT template sets: `train` templates write `tests/data/sms_train.jsonl` (used to train
the model) and `eval` templates write `tests/data/sms_eval.jsonl` (never trained on; the model
card's per-family figures). Every text is written for fanzha; none is copied from a data set.
Deterministic (fixed seed): re-running gives the same files.

    python3 crates/fanzha-detect/data/gen_sms.py

Each line: {"text", "label", "family", "template"}.
"""

import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "data")

# Hosts quoted in the issue that asked for this generator; generic lookalikes must catch them,
# so they never appear in an example.
FORBIDDEN = ("ccb-jf", "ccb-points", "icbc-e.net")

# ---------------------------------------------------------------------------------- slots

BANKS = [  # (name in messages, official number, official domain, latin token)
    ("工商银行", "95588", "icbc.com.cn", "icbc"),
    ("建设银行", "95533", "ccb.com", "ccb"),
    ("农业银行", "95599", "abchina.com", "abc"),
    ("中国银行", "95566", "boc.cn", "boc"),
    ("交通银行", "95559", "bankcomm.com", "bocom"),
    ("招商银行", "95555", "cmbchina.com", "cmb"),
    ("邮储银行", "95580", "psbc.com", "psbc"),
    ("浦发银行", "95528", "spdb.com.cn", "spdb"),
    ("民生银行", "95568", "cmbc.com.cn", "cmbc"),
    ("兴业银行", "95561", "cib.com.cn", "cib"),
    ("中信银行", "95558", "citicbank.com", "citic"),
    ("光大银行", "95595", "cebbank.com", "ceb"),
]
SHORT_BANKS = {"工商银行": "工行", "建设银行": "建行", "农业银行": "农行", "中国银行": "中行",
               "交通银行": "交行", "招商银行": "招行"}
OPERATORS = [("中国移动", "10086", "10086.cn", "cmcc"), ("中国联通", "10010", "10010.com", "unicom"),
             ("中国电信", "10000", "189.cn", "telecom")]
COURIERS = [("顺丰速运", "95338", "sf-express.com", "sf"), ("中通快递", "95311", "zto.com", "zto"),
            ("圆通速递", "95554", "yto.net.cn", "yto"), ("韵达快递", "95546", "yundaex.com", "yunda"),
            ("中国邮政", "11183", "ems.com.cn", "ems"), ("极兔速递", "956025", "jtexpress.com.cn", "jt")]
SHOPS = [("淘宝", "9510211", "taobao.com", "taobao"), ("京东", "950618", "jd.com", "jd"),
         ("拼多多", "4001688888", "pinduoduo.com", "pdd"), ("抖音商城", "95152", "douyin.com", "douyin"),
         ("美团", "10107888", "meituan.com", "meituan")]
PAY = [("支付宝", "95188", "alipay.com", "alipay"), ("微信支付", "95017", "tenpay.com", "wxpay"),
       ("云闪付", "95516", "95516.com", "unionpay")]
TLDS = ["top", "xyz", "cc", "vip", "icu", "cyou", "shop", "club", "site", "work", "buzz", "com", "cn", "net", "info", "ltd"]
WORDS = ["jf", "jifen", "vip", "bonus", "points", "gift", "e", "m", "wap", "login", "safe", "verify",
         "kefu", "tk", "pay", "refund", "help", "card", "cx", "dh", "web", "app", "online", "service"]
RANDOM_LABELS = ["kq7x", "zhd88", "qwe365", "abx9", "ylh2", "mmk77", "xlj", "rt5g", "gkd", "vvip8",
                 "hhx", "tjq9", "fz63", "lmn", "ppk1", "wsx8", "oo7", "ds9z", "uyt", "bnk6"]
SHORTENERS = ["t.cn", "dwz.cn", "suo.im", "url.cn", "u.nu", "c1n.cn", "s.click.link"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
CITIES = ["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "西安", "重庆", "长沙", "郑州"]
DISTRICTS = ["朝阳区", "浦东新区", "天河区", "南山区", "西湖区", "武侯区", "江汉区", "鼓楼区", "雁塔区", "渝中区"]
SCHOOLS = ["计算机学院", "外国语学院", "经济管理学院", "机械工程学院", "文学院", "数学学院", "化学学院"]
TV_SHOWS = ["奔跑吧", "中国好声音", "极限挑战", "快乐大本营", "星光大道", "开门大吉"]
APPS = ["财富通", "金鼎汇", "盈客", "易贷宝", "速借", "鑫盛", "聚宝盆", "云投", "众赢"]
STOCK_NAMES = ["牛股", "涨停板", "龙头股", "妖股", "翻倍股"]
TASK_PLATFORMS = ["抖音", "快手", "小红书", "淘宝", "美团", "大众点评"]


class Slots:
    def __init__(self, rng):
        self.r = rng

    def pick(self, xs):
        return self.r.choice(xs)

    def amount(self, lo=100, hi=50000, step=1):
        v = self.r.randrange(lo, hi) // step * step
        return str(max(v, lo))

    def digits(self, n):
        return "".join(self.r.choice("0123456789") for _ in range(n))

    def mobile(self):
        return self.pick(["13", "15", "17", "18", "19"]) + self.digits(9)

    def landline(self):
        return self.pick(["010", "021", "020", "0755", "028", "027"]) + "-" + self.digits(8)

    def fake_service(self):
        # A number that looks official but is not the brand's.
        return self.pick(["400", "400-", "95", "0"]) + self.digits(self.pick([5, 7, 8]))

    def contact_number(self):
        return self.pick([self.mobile(), self.landline(), "400-" + self.digits(3) + "-" + self.digits(4)])

    def lookalike(self, token):
        for _ in range(20):
            style = self.r.randrange(4)
            w = self.pick(WORDS)
            tld = self.pick(TLDS)
            if style == 0:
                host = f"{token}-{w}.{tld}"
            elif style == 1:
                host = f"{token}{w}.{tld}"
            elif style == 2:
                host = f"{w}-{token}.{tld}"
            else:
                host = f"{token}.{w}-{self.pick(RANDOM_LABELS)}.{tld}"
            if not any(f in host for f in FORBIDDEN):
                return host
        return f"{token}-x{self.digits(3)}.top"

    def random_host(self):
        return f"{self.pick(RANDOM_LABELS)}{self.digits(self.r.randrange(0, 3))}.{self.pick(TLDS)}"

    def link(self, token=None):
        kind = self.r.randrange(5)
        if token and kind <= 1:
            host = self.lookalike(token)
        elif kind == 2:
            return f"{self.pick(SHORTENERS)}/{self.pick(RANDOM_LABELS)}{self.digits(2)}"
        else:
            host = self.random_host()
        path = self.pick(["", "", "/" + self.pick(RANDOM_LABELS), "/?id=" + self.digits(4)])
        scheme = self.pick(["http://", "https://", "", ""])
        return scheme + host + path

    def date(self):
        return f"{self.r.randrange(1, 13)}月{self.r.randrange(1, 29)}日"

    def time(self):
        return f"{self.r.randrange(8, 22)}:{self.pick(['00', '30', '15', '45'])}"

    def name(self):
        return self.pick(SURNAMES) + self.pick(["先生", "女士", "经理", "老师", "专员"])

    def tail(self):
        return self.digits(4)

    def code(self):
        return self.digits(6)


def fill(tpl, s, ctx):
    return tpl.format(**ctx)


def ctx_for(s):
    bank = s.pick(BANKS)
    op = s.pick(OPERATORS)
    cour = s.pick(COURIERS)
    shop = s.pick(SHOPS)
    pay = s.pick(PAY)
    bname = bank[0] if s.r.random() < 0.7 else SHORT_BANKS.get(bank[0], bank[0])
    return {
        "bank": bname, "bank_full": bank[0], "bank_no": bank[1], "bank_dom": bank[2],
        "bank_link": s.link(bank[3]), "bank_look": s.lookalike(bank[3]),
        "op": op[0], "op_no": op[1], "op_dom": op[2], "op_link": s.link(op[3]),
        "courier": cour[0], "courier_no": cour[1], "courier_dom": cour[2], "courier_link": s.link(cour[3]),
        "shop": shop[0], "shop_no": shop[1], "shop_dom": shop[2], "shop_link": s.link(shop[3]),
        "pay": pay[0], "pay_no": pay[1], "pay_dom": pay[2],
        "link": s.link(), "link2": s.link(), "phone": s.contact_number(), "mobile": s.mobile(),
        "fake_no": s.fake_service(), "amt": s.amount(), "small_amt": s.amount(20, 800),
        "big_amt": s.amount(20000, 500000, 1000), "pts": s.amount(3000, 99999),
        "date": s.date(), "time": s.time(), "name": s.name(), "tail": s.tail(), "code": s.code(),
        "city": s.pick(CITIES), "district": s.pick(DISTRICTS), "school": s.pick(SCHOOLS),
        "show": s.pick(TV_SHOWS), "app": s.pick(APPS), "stock": s.pick(STOCK_NAMES),
        "plat": s.pick(TASK_PLATFORMS), "qq": str(s.r.randrange(10000000, 999999999)),
        "wx": s.pick(["kf", "vip", "zx", "jj", "hy"]) + s.digits(s.r.randrange(4, 8)),
        "days": str(s.r.randrange(1, 4)), "hours": str(s.r.randrange(2, 48)),
        "pct": str(s.r.randrange(15, 60)), "room": f"{s.r.randrange(1, 9)}{s.r.randrange(0, 4)}{s.r.randrange(1, 9)}",
        "order": s.digits(12), "plate": s.pick(["京", "沪", "粤", "川", "浙", "苏"]) + s.pick("ABCDE") + s.digits(5),
    }


# -------------------------------------------------------------------------- templates
# family -> label, {"train": [...], "eval": [...]}. Train and eval templates differ in wording and
# structure; they share only the slots.

T = {
    "account_expiry": ("other_fraud", {
        "train": [
            "【{bank}】您的账户实名信息已过期，将于{hours}小时内冻结，请登录 {bank_link} 重新认证。",
            "尊敬的{bank}客户：您的手机银行即将失效，请尽快访问 {link} 验证身份，逾期停用。",
            "【{op}】您的号码未完成实名登记，将于{date}停机，请点击 {op_link} 补登记。",
            "{bank}提醒您：您的银行卡因信息不全已被限制使用，请登陆 {bank_look} 更新资料。",
        ],
        "eval": [
            "您好，您在{bank}预留的身份证已到期，系统将暂停您的账户，立即进入 {bank_link} 完成核验即可恢复",
            "[{op}]检测到您的卡号存在异常，需在今日{time}前打开 {link} 进行实名校验，否则作销号处理",
            "{bank}通知：账户风控升级，未验证用户将被冻结，验证地址 {bank_look}",
        ],
    }),
    "points": ("other_fraud", {
        "train": [
            "【{bank}】您的信用卡积分{pts}分将于本月底清零，可兑换{small_amt}元现金，请登录 {bank_link} 兑换。",
            "尊敬的{op}用户，您有{pts}积分即将过期，现可兑换话费或现金礼包，详情 {op_link}",
            "{bank}积分商城：您的{pts}积分可抵现{small_amt}元，逾期作废，速登 {bank_look} 领取",
            "【{op}】恭喜您获得积分回馈，{pts}积分可兑换{small_amt}元话费，点击 {link} 立即兑换。",
        ],
        "eval": [
            "您账户里的{pts}积分今晚24点过期！马上打开 {bank_look} 换现金，{bank}客服中心",
            "{op}积分兑换提醒：尾号{tail}用户有{pts}积分未使用，兑换入口 {op_link} 回复TD不生效",
            "【积分通知】{bank}用户您好，您的积分已满{pts}，可兑换现金{small_amt}元至本卡，请访问{link}",
        ],
    }),
    "etoken": ("other_fraud", {
        "train": [
            "【{bank}】您的电子密码器将于明日过期，请立即登录 {bank_link} 进行升级，以免影响使用。",
            "{bank}温馨提示：您的U盾证书已失效，请访问 {bank_look} 下载最新安全控件。",
        ],
        "eval": [
            "尊敬的客户，您的{bank}e令牌需要更新，请于{date}前到 {link} 在线升级，否则无法转账",
        ],
    }),
    "etc": ("other_fraud", {
        "train": [
            "【ETC服务】您的ETC卡已失效，车辆将无法通行高速，请点击 {link} 重新认证。",
            "尊敬的车主，您的ETC账户认证过期，即将停用，请尽快登录 {link} 办理解除。",
        ],
        "eval": [
            "高速通行提醒：车牌{plate}的ETC记录异常已被暂停，前往 {link} 更新信息即可恢复",
        ],
    }),
    "traffic_fine": ("other_fraud", {
        "train": [
            "【交管12123】您的车辆{plate}有一条违章记录待处理，请在{days}日内登录 {link} 缴纳罚款。",
            "您有一笔交通罚单未缴纳，逾期将产生滞纳金，请点击 {link} 查询并缴费。",
        ],
        "eval": [
            "{plate}车主：你的车辆违法停车已被记录，罚款{small_amt}元，线上处理入口 {link}，过期加倍",
        ],
    }),
    "prize": ("other_fraud", {
        "train": [
            "恭喜您被《{show}》节目组抽中为幸运观众，获得{big_amt}元奖金及笔记本电脑一台，请登录 {link} 领取。",
            "【{show}】您的手机号码被选为场外幸运观众，奖金{big_amt}元，领奖网址 {link}，验证码{code}",
        ],
        "eval": [
            "《{show}》官方：尾号{tail}的观众您好，您已获得二等奖{big_amt}元，请尽快打开 {link} 登记领奖",
        ],
    }),
    "gambling": ("other_fraud", {
        "train": [
            "新用户注册即送{small_amt}元彩金，百家乐真人在线，日赚千元，网址 {link}",
            "首充{small_amt}送{small_amt}，体育投注返水{pct}%，提款秒到账，登录 {link}",
        ],
        "eval": [
            "棋牌娱乐城上线，注册送彩金，天天返水，提现无忧，地址：{link}",
        ],
    }),
    "card_stolen": ("impersonate_customer_service", {
        "train": [
            "【{bank}】您尾号{tail}的银行卡于{date}{time}在异地被盗刷{amt}元，如非本人操作请致电 {phone} 办理冻结。",
            "{bank}安全中心：您的账户存在被盗风险，已临时冻结，请尽快联系专线 {fake_no} 解冻。",
            "【{pay}】您的账户于{time}被他人登录，资金存在风险，请立即拨打客服 {phone} 处理。",
        ],
        "eval": [
            "您的{bank}卡尾号{tail}刚刚消费{amt}元，不是本人消费请速回电{phone}取消交易",
            "{pay}提示：检测到异常登录，为保障资金安全请致电 {fake_no} 核实身份",
        ],
    }),
    "parcel": ("impersonate_customer_service", {
        "train": [
            "【{courier}】您的快递在运输途中丢失，我们将赔付{small_amt}元，请致电理赔专员 {phone}。",
            "您好，我是{courier}客服，您的包裹因破损无法派送，可办理三倍理赔，请添加微信 {wx} 处理。",
        ],
        "eval": [
            "{courier}快递理赔中心：单号{order}的件已遗失，赔偿款{small_amt}元待领取，联系{mobile}",
        ],
    }),
    "refund": ("impersonate_customer_service", {
        "train": [
            "【{shop}】您购买的商品存在质量问题，可为您办理退款{small_amt}元，请联系客服 {phone}。",
            "您好，我是{shop}售后，您的订单{order}因系统故障未发货，现为您办理双倍退款，请点击 {shop_link} 填写信息。",
            "【{shop}客服】您的会员将自动扣费{small_amt}元/月，如需取消请致电 {phone}。",
        ],
        "eval": [
            "亲，{shop}这边检测到您买的东西被召回了，给您退{small_amt}块，加客服QQ {qq} 操作一下退款",
            "您开通的{shop}百万保障服务即将每月扣款，关闭请拨打{fake_no}，客服帮您取消",
        ],
    }),
    "court_police": ("impersonate_police", {
        "train": [
            "【{city}市人民法院】您有一张传票未签收，涉及民事诉讼，请于{days}日内登录 {link} 查看案件详情。",
            "{city}公安局通知：您的身份信息涉嫌一起洗钱案件，请立即拨打 {phone} 配合调查，否则将被通缉。",
            "【人民检察院】您名下账户涉嫌违法，资金将被冻结，请点击 {link} 查看通缉令并核实身份。",
            "您有一份法院传票待处理，因您欠款逾期已被起诉，详情请致电 {phone} 咨询。",
        ],
        "eval": [
            "{city}中级人民法院：你的财产即将被强制执行，请尽快访问 {link} 提交申辩材料",
            "我是{district}派出所民警，你的银行卡被用于诈骗，现需配合调查，马上回电 {phone}",
            "[法院通知]你已被列为被告，开庭时间{date}，请打开 {link} 查阅起诉书",
        ],
    }),
    "loan": ("fake_loan", {
        "train": [
            "您好，您在{app}申请的贷款{big_amt}元已审批通过，需先缴纳{small_amt}元保证金方可放款，详询 {phone}。",
            "无抵押无担保，当天放款，最高{big_amt}元，黑户白户均可办理，加微信 {wx}。",
            "【{app}】您的贷款因银行卡号填写错误已被冻结，请缴纳解冻金{small_amt}元，联系客服 {phone}。",
            "急用钱？凭身份证即可借款{big_amt}元，不看征信，下载 {link} 立即到账。",
        ],
        "eval": [
            "{app}通知：你的额度{big_amt}已下发，放款前需交{small_amt}元验资费，客服微信{wx}",
            "征信不好也能贷，秒批秒到，额度{big_amt}，点 {link} 申请，先息后本",
            "你的借款因流水不足被冻结，需转入{small_amt}元刷流水解冻，请联系{phone}",
        ],
    }),
    "task": ("rebate_task", {
        "train": [
            "招聘兼职，在家用手机给{plat}视频点赞，一单{small_amt}元，日结工资，加QQ {qq}。",
            "【兼职】{plat}店铺好评员，每单返佣金{pct}元，垫付后立即返还本金，添加微信 {wx}。",
            "宝妈学生党皆可，手机做任务，佣金日结，一天轻松赚{small_amt}，下载 {link} 注册。",
        ],
        "eval": [
            "诚招线上员工，帮商家刷{plat}关注量，做一单结一单，日入{small_amt}+，详情联系{wx}",
            "动动手指就能赚钱！{plat}点赞关注任务，完成即返佣，进群领任务：{link}",
        ],
    }),
    "invest": ("fake_investment", {
        "train": [
            "内部消息：明日{stock}提前布局，收益{pct}%以上，免费进群领取代码，加微信 {wx}。",
            "【{app}】导师带单，稳赚不赔，日收益{pct}%，注册即送体验金，下载 {link}。",
            "股票老师免费诊股，今日推荐{stock}，已有学员翻倍，进群请加QQ {qq}。",
        ],
        "eval": [
            "您好，我们是{app}投资团队，跟着老师买{stock}，月收益{pct}%，进VIP群请点 {link}",
            "数字货币内部通道已开放，保本高收益，充值即送{pct}%，客服{wx}",
        ],
    }),
    # ------------------------------------------------------------------------- hard negatives
    "bank_notice": ("normal", {
        "train": [
            "【{bank_full}】您尾号{tail}的储蓄卡{date}{time}支出{amt}元，余额{big_amt}元。如有疑问请致电{bank_no}。",
            "【{bank_full}】您的信用卡{date}账单已出，本期应还{amt}元，到期还款日{date}。详询{bank_no}。",
            "【{bank_full}】积分兑好礼活动进行中，您可登录{bank_full}手机银行或官网 www.{bank_dom} 查看。回复TD退订",
            "【{bank_full}】温馨提示：本行不会以短信链接要求您登录或输入密码，请认准官方客服{bank_no}。",
        ],
        "eval": [
            "{bank_full}：您尾号{tail}的账户{date}收到转账{amt}元。客服{bank_no}",
            "【{bank_full}】尊敬的客户，您的信用卡积分{pts}分，可在{bank_full}手机银行App积分商城兑换。拒收请回复R",
            "【{bank_full}】您正在办理手机银行登录，验证码{code}，请勿泄露给任何人，包括银行工作人员。",
        ],
    }),
    "operator_notice": ("normal", {
        "train": [
            "【{op}】尊敬的客户，您本月套餐已使用流量{small_amt}MB，详情请登录 {op_dom} 或拨打{op_no}查询。",
            "【{op}】您的话费余额不足{small_amt}元，为避免停机请及时充值，可通过{op}App或拨打{op_no}缴费。",
        ],
        "eval": [
            "【{op}】积分回馈：您当前积分{pts}，可在{op}App兑换话费，详询{op_no}。",
            "{op}提醒：您的账单已生成，本月消费{small_amt}元，详情请拨打{op_no}。",
        ],
    }),
    "courier_notice": ("normal", {
        "train": [
            "【{courier}】您的快件已到{district}菜鸟驿站，取件码{tail}，请于{time}前领取。",
            "【{courier}】您的包裹正在派送中，快递员{name}电话{mobile}，请保持电话畅通。",
        ],
        "eval": [
            "【{courier}】您单号{order}的快件已签收，如有疑问请致电{courier_no}。",
        ],
    }),
    "shop_ad": ("normal", {
        "train": [
            "【{shop}】年中大促来啦，全场满{small_amt}减50，下单即送好礼，打开{shop}App查看。回复TD退订",
            "【{shop}】您关注的商品降价了，现价{small_amt}元，快去{shop}App看看吧。退订回T",
            "{city}{district}新店开业，全场八折，凭本短信到店再送饮品一杯，地址{district}中心广场。",
        ],
        "eval": [
            "【{shop}】双十一预售开始，定金{small_amt}元抵100元，打开{shop}App抢购。拒收请回复R",
            "周末健身房会员卡特惠，年卡{amt}元，欢迎到店咨询，{district}体育中心二楼。",
        ],
    }),
    "campus": ("normal", {
        "train": [
            "各位同学：{school}将于{date}{time}在教学楼{room}召开班会，请准时参加。",
            "【学生资助】{date}起开始申请国家助学金，请登录学校学生工作系统填写，截止{date}。",
            "同学你好，你的快递到了，在宿舍楼下驿站，取件码{tail}。",
            "【图书馆】您借阅的图书将于{date}到期，请及时归还或在线续借。",
            "提醒：{school}学生勿轻信刷单返利、冒充客服退款等诈骗，遇到可疑情况拨打96110或联系辅导员。",
        ],
        "eval": [
            "【教务处】{date}期末考试安排已发布，请登录教务系统查询考场，考试时间{time}。",
            "通知：本周{date}{time}{school}在报告厅举办防诈骗讲座，请各班组织参加。",
            "{name}：你的奖学金{amt}元已发放至你的银行卡，请注意查收。",
        ],
    }),
    "verification": ("normal", {
        "train": [
            "【{pay}】验证码{code}，用于登录验证，5分钟内有效。请勿将验证码告诉他人。",
            "【{shop}】您的验证码是{code}，如非本人操作请忽略。",
        ],
        "eval": [
            "【{op}】您正在办理业务，验证码{code}，工作人员不会向您索要，请勿泄露。",
        ],
    }),
    "personal": ("normal", {
        "train": [
            "妈，我周末回家，{time}的车，到了给你打电话。",
            "晚上{time}一起去食堂吃饭吗？我在{room}等你。",
            "明天的作业记得交，老师说{date}截止。",
        ],
        "eval": [
            "到宿舍了吗？记得把{school}的表交给班长。",
            "我借你的{small_amt}块下周还你哈",
        ],
    }),
    # Appended last so the families above keep their rows (their random draws come first).
    "mule": ("mule_recruitment", {
        "train": [
            "高价收购银行卡，{bank}一类卡一张{price}元，当天结算，加微信 {wx} 详聊",
            "学生兼职：出借闲置银行卡给公司走账，每月躺赚{small_amt}元，不违法无风险，QQ {qq}",
            "急收三件套（卡+U盾+手机卡），{price}一套，{city}可上门收，V:{wx}",
            "跑分平台招代理，用你的{pay}收款码帮商家收款，每笔提成{pct}个点，日入{small_amt}+",
            "{name}，帮个忙，有笔钱转到你卡上，你收到后再转给我朋友，给你{small_amt}辛苦费",
            "有偿租用微信号，每天{small_amt}元，只用来登录发广告，随时归还，联系{mobile}",
            "招聘兼职刷脸员，帮客户过一下人脸识别，一次{small_amt}元当场结清，{wx}",
            "代收款兼职：你的账户帮公司临时收一笔货款，收到后转给财务，佣金{pct}%",
            "回收实名电话卡，{op}的卡一张给你{price}，在校大学生优先，私聊 {qq}",
            "刷流水赚钱：你的卡进多少出多少，按流水给{pct}个点报酬，零投入，{wx}",
        ],
        "eval": [
            "诚招收款员，只要提供个人银行账户即可参与，资金进出一笔结一笔，月入{amt}+，详询{wx}",
            "有没有闲置的{op}手机卡？开一张卖给我们{price}元，学生证就行，速来",
            "刷脸兼职，配合完成{pay}账号认证，一次{small_amt}，QQ:{qq}",
            "长期收对公账户、个人四件套，价格美丽，{mobile}",
            "做跑分的来，拿你的收款码挂单，流水越多赚越多，{wx}",
            "帮我接收一笔转账然后提现给我，我卡被限额了，给你{small_amt}红包",
        ],
    }),
    "mule_notice": ("normal", {
        "train": [
            "【{school}保卫处】提醒：出租、出借、出售银行卡和电话卡涉嫌帮信罪，切勿因小利参与，发现可疑请报告辅导员。",
            "{bank}温馨提示：请勿出租出借本人账户，不明资金转入请及时联系{bank_no}。",
            "断卡行动宣传：不买卖两卡，不帮人跑分刷流水，守护好自己的账户。{city}公安提醒。",
            "同学们注意，近期有人以高价收购银行卡为名诱骗学生，这是违法犯罪，请大家相互提醒。",
        ],
        "eval": [
            "【{school}】反诈课堂：把银行卡借给别人走账，可能构成帮助信息网络犯罪活动罪，请珍惜个人信用。",
            "{bank}提醒：您的账户仅限本人使用，出借账户将被列入惩戒名单，如有疑问请拨打{bank_no}。",
        ],
    }),
}

PER_TEMPLATE = {"train": 14, "eval": 12}

# Slots only the appended families use, drawn after the shared ones so earlier rows do not move.
EXTRA_SLOTS = {"mule", "mule_notice"}


def extra_ctx(s):
    return {"price": str(s.r.randrange(2, 60) * 50)}


def generate(split, seed):
    rng = random.Random(seed)
    s = Slots(rng)
    rows = []
    seen = set()
    for family, (label, sets) in T.items():
        for ti, tpl in enumerate(sets[split]):
            n = PER_TEMPLATE[split]
            made = 0
            tries = 0
            while made < n and tries < n * 20:
                tries += 1
                ctx = ctx_for(s)
                if family in EXTRA_SLOTS:
                    ctx.update(extra_ctx(s))
                text = fill(tpl, s, ctx)
                if text in seen or any(f in text for f in FORBIDDEN):
                    continue
                seen.add(text)
                rows.append({"text": text, "label": label, "family": family,
                             "template": f"{family}.{split}.{ti}"})
                made += 1
    return rows


def main():
    train = generate("train", 20240601)
    ev = generate("eval", 20240602)
    assert not set(r["text"] for r in train) & set(r["text"] for r in ev)
    for name, rows in (("sms_train.jsonl", train), ("sms_eval.jsonl", ev)):
        with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(name, len(rows))


if __name__ == "__main__":
    main()
