//! The volunteer journey in a browser (added below once walked).
