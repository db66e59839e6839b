//! Starter content on 两卡 and the law that fanzha ships to every school: an article with its quiz
//! for the campaigns content library, and a lesson for a course. The texts are Markdown files next
//! to this one (`article.md`, `quiz.md`, `lesson.md`), built into the binary; the first line of
//! each (`# …`) is its title. A school adopts each item once (see `service::adopt_starter`).

use crate::campaigns::model::Question;

const ARTICLE: &str = include_str!("article.md");
const LESSON: &str = include_str!("lesson.md");
const QUIZ: &str = include_str!("quiz.md");

/// One item of the starter content.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum StarterItem {
    /// The article with its quiz, for the content library (campaigns).
    Article,
    /// The lesson, for one of the school's courses (learning).
    Lesson,
}

impl StarterItem {
    pub const ALL: [StarterItem; 2] = [StarterItem::Article, StarterItem::Lesson];

    pub fn as_str(self) -> &'static str {
        match self {
            StarterItem::Article => "article",
            StarterItem::Lesson => "lesson",
        }
    }

    pub fn parse(s: &str) -> Option<StarterItem> {
        match s.trim() {
            "article" => Some(StarterItem::Article),
            "lesson" => Some(StarterItem::Lesson),
            _ => None,
        }
    }

    /// The shipped text of the item.
    pub fn text(self) -> Text {
        match self {
            StarterItem::Article => Text::of(ARTICLE),
            StarterItem::Lesson => Text::of(LESSON),
        }
    }
}

/// A shipped text: its title (the first `# ` line) and its Markdown body (the rest).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    pub title: String,
    pub body_md: String,
}

impl Text {
    fn of(md: &str) -> Text {
        let md = md.trim_start();
        let (first, rest) = md.split_once('\n').unwrap_or((md, ""));
        Text {
            title: first.trim_start_matches('#').trim().to_string(),
            body_md: rest.trim().to_string(),
        }
    }
}

/// The quiz of the article: each `## ` heading a question, each `- [ ]` / `- [x]` line a choice,
/// the `[x]` one right.
pub fn quiz() -> Vec<Question> {
    let mut out: Vec<Question> = Vec::new();
    for line in QUIZ.lines().map(str::trim) {
        if let Some(q) = line.strip_prefix("## ") {
            out.push(Question {
                q: q.trim().to_string(),
                choices: vec![],
                answer: 0,
            });
        } else if let (Some(q), Some(choice)) = (out.last_mut(), line.strip_prefix("- ")) {
            let (right, words) = if let Some(w) = choice.strip_prefix("[x]") {
                (true, w)
            } else {
                (false, choice.strip_prefix("[ ]").unwrap_or(choice))
            };
            if right {
                q.answer = q.choices.len();
            }
            q.choices.push(words.trim().to_string());
        }
    }
    out
}

/// Who the article is for, as the library shows it.
pub const TARGET_HINT: &str = "在找兼职、缺生活费的同学；新办银行卡、电话卡的新生";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_texts_have_titles_bodies_and_a_valid_quiz() {
        for item in StarterItem::ALL {
            let t = item.text();
            assert!(!t.title.is_empty() && !t.title.starts_with('#'), "{t:?}");
            assert!(t.body_md.contains("帮助信息网络犯罪活动罪"), "{item:?}");
            assert!(!t.body_md.starts_with("# "), "{item:?}");
            assert_eq!(StarterItem::parse(item.as_str()), Some(item));
        }
        let q = quiz();
        assert_eq!(q.len(), 3);
        assert_eq!(q[0].answer, 1);
        assert_eq!(q[2].answer, 2);
        assert!(q.iter().all(|q| (2..=6).contains(&q.choices.len())));
        assert!(crate::campaigns::model::parse_quiz(q).is_ok());
    }
}
