//! Reads of the learning demo only.

use super::Tx;
use crate::db::DbResult;

/// The lessons of a course, in no particular order.
pub async fn lesson_ids_of_course(tx: &mut Tx<'_>, course_id: i64) -> DbResult<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM learning_lessons WHERE course_id = $1")
            .bind(course_id)
            .fetch_all(&mut **tx)
            .await?,
    )
}

/// The right answer of a question, as stored (a JSON list of option indices).
pub async fn correct_of_question(tx: &mut Tx<'_>, question_id: i64) -> DbResult<String> {
    Ok(
        sqlx::query_scalar("SELECT correct FROM learning_questions WHERE id = $1")
            .bind(question_id)
            .fetch_one(&mut **tx)
            .await?,
    )
}
