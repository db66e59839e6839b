//! SQL fragments for other modules' set-based statements that scope, count or label rows by
//! org's units and people in the same statement: a campaign fan-out over 100,000 students, a
//! course's coverage per class, a volunteer ledger with each student's name. Carrying the ids
//! between two statements would not scale there, so org hands out the text of its relations
//! instead: other stores name no org table and no join key, only the alias they choose and the
//! columns below.
//!
//! Columns other modules may read through an alias:
//! - a unit: `id`, `parent_id`, `kind`, `code`, `name`, `path`, `depth`;
//! - a student: `id`, `school_id`, `class_id`, `student_no`, `name`, `gender`,
//!   `enrollment_year`, `major`, `status`;
//! - a staff member: `id`, `org_id`, `unit_id`, `staff_no`, `name`, `status`;
//! - a jurisdiction: `station_id`, `school_id`.
//!
//! Every other column is org's own. Statements that only read org (a unit by code, the stations
//! of a school) call [`super::lookups`] or [`super`] instead.

/// The units as a `FROM` item with the alias `a`: `units a`.
pub fn units(a: &str) -> String {
    format!("units {a}")
}

/// `JOIN` the unit `a` whose id is `on` (e.g. `join_unit("u", "t.unit_id")`).
pub fn join_unit(a: &str, on: &str) -> String {
    format!("JOIN units {a} ON {a}.id = {on}")
}

/// `LEFT JOIN` the unit `a` whose id is `on`, for rows whose unit may be unset.
pub fn left_join_unit(a: &str, on: &str) -> String {
    format!("LEFT JOIN units {a} ON {a}.id = {on}")
}

/// The path of the unit whose id is the expression `id`, as a scalar subquery
/// (`u.path LIKE {unit_path_of("$2")} || '%'` scopes to that unit's subtree).
pub fn unit_path_of(id: &str) -> String {
    format!("(SELECT path FROM units WHERE id = {id})")
}

/// The students as a `FROM` item with the alias `a`: `students a`.
pub fn students(a: &str) -> String {
    format!("students {a}")
}

/// `JOIN` the student `a` whose id is `on`.
pub fn join_student(a: &str, on: &str) -> String {
    format!("JOIN students {a} ON {a}.id = {on}")
}

/// `LEFT JOIN` the student `a` whose id is `on`, for rows with no student.
pub fn left_join_student(a: &str, on: &str) -> String {
    format!("LEFT JOIN students {a} ON {a}.id = {on}")
}

/// The students `s` with their class unit `u` as a `FROM` item: scope by `u.path`, label by
/// `u.name`.
pub const STUDENTS_IN_CLASSES: &str = "students s JOIN units u ON u.id = s.class_id";

/// `JOIN` the student `s` whose id is `on` and their class unit `u` (scope by `u.path`).
pub fn join_student_in_class(s: &str, u: &str, on: &str) -> String {
    format!("JOIN students {s} ON {s}.id = {on} JOIN units {u} ON {u}.id = {s}.class_id")
}

/// `JOIN` the staff member `t` whose id is `on` and the unit `u` they work in (scope by
/// `u.path`).
pub fn join_staff_in_unit(t: &str, u: &str, on: &str) -> String {
    format!("JOIN staff {t} ON {t}.id = {on} JOIN units {u} ON {u}.id = {t}.unit_id")
}

/// The ids of the students whose name matches the `LIKE` pattern `name` or whose number is `no`
/// (both SQL expressions, usually parameters), as a subquery for `IN`.
pub fn student_ids_by_name_or_no(name: &str, no: &str) -> String {
    format!("(SELECT st.id FROM students st WHERE st.name LIKE {name} OR st.student_no = {no})")
}

/// The staff as a `FROM` item with the alias `a`: `staff a`.
pub fn staff(a: &str) -> String {
    format!("staff {a}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_read_as_sql() {
        assert_eq!(
            join_unit("u", "t.unit_id"),
            "JOIN units u ON u.id = t.unit_id"
        );
        assert_eq!(
            join_student_in_class("s", "c", "a.student_id"),
            "JOIN students s ON s.id = a.student_id JOIN units c ON c.id = s.class_id"
        );
        assert_eq!(
            format!("FROM {STUDENTS_IN_CLASSES}"),
            format!("FROM {} {}", students("s"), join_unit("u", "s.class_id"))
        );
        assert_eq!(unit_path_of("$2"), "(SELECT path FROM units WHERE id = $2)");
    }
}
