//! Text of pages, errors and the CLI, from Fluent files: zh-CN (default) and en, each complete.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

const ZH_CN: &str = include_str!(concat!(env!("OUT_DIR"), "/zh-CN.ftl"));
const EN: &str = include_str!(concat!(env!("OUT_DIR"), "/en.ftl"));

/// A user interface language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
pub enum Lang {
    #[default]
    ZhCn,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::ZhCn, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Parses a stored or requested language; anything unknown falls back to the default.
    pub fn from_code(s: &str) -> Lang {
        let s = s.trim().to_ascii_lowercase();
        if s == "en" || s.starts_with("en-") || s.starts_with("en_") {
            Lang::En
        } else {
            Lang::ZhCn
        }
    }

    /// Language of the command line: `FANZHA_LANG`, else `LANG`, else zh-CN.
    pub fn from_env() -> Lang {
        std::env::var("FANZHA_LANG")
            .or_else(|_| std::env::var("LANG"))
            .map(|v| Lang::from_code(&v))
            .unwrap_or_default()
    }

    /// The message `key`, or the key itself when missing (a test keeps the files complete).
    pub fn t(self, key: &str) -> String {
        self.ta(key, &[])
    }

    /// The message `key` with named arguments.
    pub fn ta(self, key: &str, args: &[(&str, String)]) -> String {
        let bundle = bundle(self);
        let Some(msg) = bundle.get_message(key) else {
            return key.to_string();
        };
        let Some(pattern) = msg.value() else {
            return key.to_string();
        };
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            // Arguments named `count` or `n` are numbers so plural selectors work; everything else
            // (student numbers, phone numbers, line numbers) stays text so it is never regrouped.
            match v.parse::<f64>() {
                Ok(n) if *k == "count" || *k == "n" => fargs.set(*k, FluentValue::from(n)),
                _ => fargs.set(*k, FluentValue::from(v.clone())),
            }
        }
        let mut errors = vec![];
        bundle
            .format_pattern(pattern, Some(&fargs), &mut errors)
            .into_owned()
    }
}

fn build(lang: Lang, source: &str) -> FluentBundle<FluentResource> {
    let res = FluentResource::try_new(source.to_string())
        .unwrap_or_else(|(_, errs)| panic!("{} Fluent file has errors: {errs:?}", lang.code()));
    let id: unic_langid::LanguageIdentifier = lang.code().parse().expect("valid language id");
    let mut b = FluentBundle::new_concurrent(vec![id]);
    b.set_use_isolating(false);
    b.add_resource(res)
        .unwrap_or_else(|errs| panic!("{} Fluent file has duplicate keys: {errs:?}", lang.code()));
    b
}

fn bundle(lang: Lang) -> &'static FluentBundle<FluentResource> {
    static ZH: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
    static ENB: OnceLock<FluentBundle<FluentResource>> = OnceLock::new();
    match lang {
        Lang::ZhCn => ZH.get_or_init(|| build(lang, ZH_CN)),
        Lang::En => ENB.get_or_init(|| build(lang, EN)),
    }
}

/// Message ids defined in a Fluent source, for the completeness test.
pub fn message_ids(lang: Lang) -> Vec<String> {
    let src = match lang {
        Lang::ZhCn => ZH_CN,
        Lang::En => EN,
    };
    let res = FluentResource::try_new(src.to_string()).unwrap_or_else(|(r, _)| r);
    let mut ids: Vec<String> = res
        .entries()
        .filter_map(|e| match e {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
            _ => None,
        })
        .collect();
    ids.sort();
    ids
}

/// The one label of a fraud type for people: its name in `lang`, from its id or its Chinese name;
/// anything else reads as "other fraud" rather than showing an internal key.
pub fn fraud_type_name(lang: Lang, id: &str) -> String {
    let id = id.trim();
    let t = fanzha_detect::FraudType::ALL
        .into_iter()
        .find(|t| t.id() == id || t.name_zh() == id)
        .unwrap_or(fanzha_detect::FraudType::OtherFraud);
    match lang {
        Lang::En => t.name_en().to_string(),
        Lang::ZhCn => t.name_zh().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_parse_and_have_the_same_messages() {
        let zh = message_ids(Lang::ZhCn);
        let en = message_ids(Lang::En);
        let missing_en: Vec<_> = zh.iter().filter(|k| !en.contains(k)).collect();
        let missing_zh: Vec<_> = en.iter().filter(|k| !zh.contains(k)).collect();
        assert!(missing_en.is_empty(), "missing in en: {missing_en:?}");
        assert!(missing_zh.is_empty(), "missing in zh-CN: {missing_zh:?}");
        assert!(!zh.is_empty());
        // Formatting every message must not panic, in both languages.
        for k in &zh {
            let _ = Lang::ZhCn.t(k);
            let _ = Lang::En.t(k);
        }
    }

    #[test]
    fn unknown_language_falls_back_to_chinese() {
        assert_eq!(Lang::from_code("fr"), Lang::ZhCn);
        assert_eq!(Lang::from_code("en-US"), Lang::En);
    }
}
