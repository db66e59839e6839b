//! Detection engine of fanzha (see the detection issue).
