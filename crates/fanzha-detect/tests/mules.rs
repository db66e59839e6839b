//! Money-mule recruitment (帮信/两卡): lures are typed `mule_recruitment` and never end below
//! `medium`; warnings about the same lures from schools, banks and police stay `normal`.
//! The sentences are written for this test and are in no training file.

use fanzha_detect::{Engine, FraudType, Level};

const LURES: &[&str] = &[
    "本公司高价收购各银行一类卡，附带U盾的另加钱，当面交易",
    "在校生兼职：租你的支付宝账户三天，每天给150，账号用完就还",
    "需要几个人帮忙跑分，手机下个软件挂上收款码就行，日入三四百",
    "朋友公司有笔款要过一下账，借你的卡收一下钱再转出去，给你800好处费",
    "收实名手机卡，移动联通都要，一张180，大学生优先",
    "兼职刷流水，你的银行卡进出多少按千分之三给你提成",
];

const WARNINGS: &[&str] = &[
    "【保卫处】近期有不法分子以兼职为名收购学生银行卡，出借银行卡涉嫌帮信罪，请同学们切勿参与。",
    "警方提醒：不要出租出借电话卡和银行卡，跑分刷流水都是违法犯罪。",
    "银行温馨提示：请妥善保管本人银行卡及U盾，请勿借给他人使用。",
    "班会通知：本周四下午开展“断卡行动”主题班会，讲解两卡违法犯罪案例，请准时参加。",
];

#[test]
fn recruitment_lures_are_typed_and_at_least_medium() {
    let engine = Engine::builtin();
    for text in LURES {
        let v = engine.analyze_brief(text);
        assert_eq!(v.fraud_type, FraudType::MuleRecruitment, "{text}: {v:?}");
        assert!(v.level >= Level::Medium, "{text}: {:?}", v.level);
    }
}

#[test]
fn warnings_about_the_same_lures_stay_normal() {
    let engine = Engine::builtin();
    for text in WARNINGS {
        let v = engine.analyze_brief(text);
        assert_eq!(v.fraud_type, FraudType::Normal, "{text}: {v:?}");
    }
}

#[test]
fn the_type_states_the_legal_risk() {
    let t: FraudType = "mule_recruitment".parse().unwrap();
    assert_eq!(t, FraudType::MuleRecruitment);
    assert!(t.is_fraud());
    assert!(t.advice().contains("287-2"), "{}", t.advice());
    assert!(t.name_zh().contains("帮信"));
}
