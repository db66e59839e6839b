//! The brand registry in the engine: impersonation of a named brand, lookalike hosts, the sender
//! of a pasted SMS, live swaps, and the level floors of the verdict.

use fanzha_detect::{Brand, BrandRegistry, Engine, FraudType, Level};
use std::sync::Arc;

/// The three messages quoted in the issue that asked for this check (with the court link, elided
/// there, filled in by a made-up host), which must come out `high`.
const QUOTED: [&str; 4] = [
    "尊敬的建行用户您的账户积分已满万可兑换现金礼包请登陆 http://ccb-jf.cc 查询兑换逾期清零",
    "【人民法院】您的财产被查封,请点击查看详情:http://…",
    "【人民法院】您的财产被查封,请点击查看详情:http://fy-anjian.top/x",
    "【建设银行】积分即将过期…ccb-points.top",
];

#[test]
fn the_quoted_messages_are_high() {
    let e = Engine::builtin();
    for t in QUOTED {
        let v = e.analyze(t);
        assert_eq!(v.level, Level::High, "{t}: {v:?}");
        assert!(v.fraud_type.is_fraud(), "{t}");
    }
    let v = e.analyze(QUOTED[0]);
    let m = v.brand_mismatch.expect("a brand mismatch");
    assert_eq!(m.brand_key, "ccb");
    assert_eq!(m.found, "ccb-jf.cc");
    assert!(m.official.contains(&"ccb.com".to_string()));
    assert!(v.link_suspect);
    assert_eq!(v.fraud_type, FraudType::OtherFraud);
    let v = e.analyze(QUOTED[2]);
    assert_eq!(v.fraud_type, FraudType::ImpersonatePolice);
    assert_eq!(v.brand_mismatch.unwrap().brand_key, "court");
}

#[test]
fn the_quoted_hosts_are_in_no_registry_entry_or_rule() {
    let reg = BrandRegistry::builtin().to_text();
    let rules = fanzha_detect::rules::STARTER_RULES;
    for needle in ["ccb-jf", "ccb-points", "icbc-e.net", "财产被查封"] {
        assert!(!reg.contains(needle), "{needle} in the registry");
        assert!(!rules.contains(needle), "{needle} in the rules");
    }
}

#[test]
fn a_named_brand_with_someone_elses_link_or_number_is_impersonation() {
    let e = Engine::builtin();
    let v = e.analyze(
        "【工商银行】您的电子密码器已过期，请尽快登录 www.gh-update.top 完成升级，逾期将停用。",
    );
    let m = v.brand_mismatch.clone().expect("mismatch");
    assert_eq!(m.brand_key, "icbc");
    assert_eq!(m.found, "www.gh-update.top");
    assert_eq!(v.level, Level::High);
    let r = v
        .rules
        .iter()
        .find(|r| r.id.as_ref() == "brand.unofficial_link")
        .unwrap();
    assert!(r.description_zh.contains("中国工商银行") && r.description_zh.contains("icbc.com.cn"));

    let v = e.analyze(
        "【顺丰速运】您的快递在运输途中丢失，我司将为您办理三倍理赔，请致电 0755-12345678 退款。",
    );
    let m = v.brand_mismatch.clone().expect("mismatch");
    assert_eq!(m.brand_key, "sf");
    assert_eq!(m.found, "075512345678");
    assert_eq!(m.official, vec!["95338".to_string()]);
    assert_eq!(v.level, Level::High);
    assert_eq!(v.fraud_type, FraudType::ImpersonateCustomerService);
    assert!(!v.link_suspect);
}

#[test]
fn official_links_and_numbers_stay_normal() {
    let e = Engine::builtin();
    for t in [
        "【工商银行】您尾号1234的卡于10月5日消费200.00元，如非本人操作请致电95588。",
        "【建设银行】信用卡积分兑换活动开始啦，登录建行官网 www.ccb.com 或手机银行查看详情，回复TD退订",
        "【中国移动】您本月话费账单已出，登录 10086.cn 或拨打10086查询。",
        "【京东】您的订单已发货，点击 3.cn/abc 查看物流。",
        "【学生资助】2025年国家助学金申请已开始，请登录 xszz.example.edu.cn 填写申请表。",
    ] {
        let v = e.analyze(t);
        assert!(v.brand_mismatch.is_none(), "{t}: {:?}", v.brand_mismatch);
        assert!(!v.link_suspect, "{t}");
        assert!(v.level <= Level::Low, "{t}: {:?} {}", v.level, v.risk);
    }
}

#[test]
fn lookalike_hosts_count_without_a_brand_name() {
    let e = Engine::builtin();
    let v = e.analyze("您的账户存在异常，请尽快访问 icbc-safe.top 完成验证");
    assert_eq!(v.brand_mismatch.as_ref().unwrap().brand_key, "icbc");
    assert!(v.link_suspect);
    assert_eq!(v.level, Level::High);
}

#[test]
fn the_sender_is_judged() {
    let e = Engine::builtin();
    let t = "【工商银行】您尾号1234的卡于10月5日消费200.00元，如非本人操作请致电95588。";
    assert_eq!(e.analyze(t).sender_suspect, None);
    assert_eq!(e.analyze_with(t, Some("95588")).sender_suspect, Some(false));
    assert_eq!(
        e.analyze_with(t, Some("10690000123")).sender_suspect,
        Some(false)
    );
    let v = e.analyze_with(t, Some("+86 138 1234 5678"));
    assert_eq!(v.sender_suspect, Some(true));
    assert!(v.level >= Level::Medium, "{v:?}");
    assert_eq!(e.analyze_with(t, Some("95533")).sender_suspect, Some(true));
    assert_eq!(
        e.analyze_with(t, Some("+44 7700 900123")).sender_suspect,
        Some(true)
    );
    let chat = "晚上一起吃饭吗？六点食堂门口见";
    assert_eq!(
        e.analyze_with(chat, Some("13812345678")).sender_suspect,
        Some(false)
    );
    assert_eq!(e.analyze_with(chat, Some("  ")).sender_suspect, None);
}

#[test]
fn a_swapped_registry_is_seen_by_every_thread() {
    let e = Arc::new(Engine::builtin());
    let t = "【示例银行】您的积分即将清零，请登录 demo-points.xyz 兑换";
    assert!(e.analyze(t).brand_mismatch.is_none());
    let mut brands = e.brands().brands().to_vec();
    brands.push(Brand {
        key: "demo".into(),
        name_zh: "示例银行".into(),
        name_en: "Demo Bank".into(),
        sector: "bank".into(),
        aliases: vec!["示例银行".into()],
        domains: vec!["demo-bank.example".into()],
        numbers: vec!["95000".into()],
    });
    e.set_brands(Arc::new(BrandRegistry::from_brands(brands).unwrap()));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let e = e.clone();
            std::thread::spawn(move || e.analyze(t).brand_mismatch.map(|m| m.brand_key))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().as_deref(), Some("demo"));
    }
    assert_eq!(e.brands().get("demo").unwrap().numbers, vec!["95000"]);
}

#[test]
fn a_bad_registry_file_names_file_and_line_and_changes_nothing() {
    let dir = std::env::temp_dir().join(format!("fanzha-brands-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("brands.toml");
    std::fs::write(&p, "version = 1\n[[brand]]\nkey = \"x\"\nname_zh = \"x\"\nsector = \"moon\"\naliases = [\"某某\"]\nnumbers = [\"95000\"]\n").unwrap();
    let e = Engine::builtin();
    let before = e.brands();
    let err = BrandRegistry::from_file(&p).unwrap_err().to_string();
    assert!(err.ends_with("brands.toml:5: brand `x`: unknown sector `moon` (expected one of: bank, operator, courier, ecommerce, payment, government)"), "{err}");
    let err = e.load_brands_file(&p).unwrap_err();
    assert_eq!(err.line, 5);
    assert!(Arc::ptr_eq(&before, &e.brands()));
    // A good file (here: the built-in one exported, plus a brand) replaces it.
    let mut text = before.to_text();
    text.push_str("\n[[brand]]\nkey = \"demo\"\nname_zh = \"示例银行\"\nsector = \"bank\"\naliases = [\"示例银行\"]\nnumbers = [\"95000\"]\n");
    std::fs::write(&p, text).unwrap();
    e.load_brands_file(&p).unwrap();
    assert!(!Arc::ptr_eq(&before, &e.brands()));
    assert_eq!(e.brands().len(), before.len() + 1);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn verdicts_carry_the_model_version() {
    let e = Engine::builtin();
    let v = e.analyze("明天开班会");
    assert_eq!(v.model_version, e.model().version());
    assert!(v.model_version.starts_with("fzdm-"));
}

#[test]
fn a_strong_rule_with_a_contact_is_at_least_medium() {
    let e = Engine::builtin();
    // Every fraud rule of weight >= 3 that fires on a text with a contact gives >= medium.
    for t in [
        "兼职刷单，日结佣金，垫付后返还本金，加微信 abc_123456",
        "您涉嫌洗钱，请将资金转入安全账户配合调查，联系电话 13812345678",
    ] {
        let v = e.analyze(t);
        if v.rules
            .iter()
            .any(|r| r.fraud_type.is_fraud() && r.weight >= 3.0)
        {
            assert!(v.level >= Level::Medium, "{t}: {v:?}");
        }
    }
}

#[test]
fn detect_reads_an_optional_sender_and_refuses_a_bad_one_for_its_line_only() {
    use fanzha_detect::cli::run_detect;
    let input = concat!(
        "{\"id\":1,\"text\":\"【工商银行】您的积分即将清零，请登录 icbc-jf8.top 兑换\",\"sender\":\"13812345678\"}\n",
        "{\"id\":2,\"text\":\"明天开班会\",\"sender\":42}\n",
        "{\"id\":3,\"text\":\"明天开班会\"}\n",
    );
    let mut out = Vec::new();
    let stats = run_detect(&Engine::builtin(), input.as_bytes(), &mut out).unwrap();
    assert_eq!((stats.ok, stats.errors), (2, 1));
    let lines: Vec<serde_json::Value> = std::str::from_utf8(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["level"], "high");
    assert_eq!(lines[0]["sender_suspect"], true);
    assert_eq!(lines[0]["link_suspect"], true);
    assert_eq!(lines[0]["brand_mismatch"]["brand_key"], "icbc");
    assert_eq!(lines[1]["error"], "line 2: `sender` must be a string");
    assert!(lines[2].get("sender_suspect").is_none());
    assert!(lines[2]["model_version"]
        .as_str()
        .unwrap()
        .starts_with("fzdm-"));
}
