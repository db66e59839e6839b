//! What the inbox asks of stop-payment requests: whether a message's link points at a report
//! whose request is still open (money can still be stopped), as a condition of the inbox's own
//! query so its list keeps one statement and its paging.

/// The SQL condition "the report `link_column` points at (`/reports/<id>`) has a stop-payment
/// request still open or with the bank".
pub fn open_request_of_link(link_column: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM stop_payments sp \
         WHERE {link_column} = '/reports/' || sp.report_id AND sp.status IN ('open', 'bank_contacted'))"
    )
}
