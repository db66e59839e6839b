//! The CAS client: the `/login` redirect, ticket validation over `serviceValidate` (CAS 2.0) or
//! `p3/serviceValidate` (CAS 3.0, with attributes), and the single-logout request a CAS server
//! posts back to the service URL.

use std::collections::HashMap;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::{CasVersion, SchoolSignIn, SsoError};
use crate::text::urlencode;

/// Where the browser goes to sign in at the school's CAS server.
pub fn login_url(cfg: &SchoolSignIn, service: &str) -> String {
    format!(
        "{}/login?service={}",
        cfg.server_url.trim_end_matches('/'),
        urlencode(service)
    )
}

/// Where the browser goes to end its CAS session too.
pub fn logout_url(cfg: &SchoolSignIn, service: &str) -> String {
    format!(
        "{}/logout?service={}",
        cfg.server_url.trim_end_matches('/'),
        urlencode(service)
    )
}

/// A ticket the CAS server vouched for.
#[derive(Debug, PartialEq, Eq)]
pub struct Validated {
    pub user: String,
    pub attributes: HashMap<String, String>,
}

impl Validated {
    /// The number by the school's setting: the named attribute, or the CAS user itself.
    pub fn number(&self, attribute: &str) -> Option<&str> {
        if attribute.is_empty() || attribute == "user" {
            Some(self.user.as_str())
        } else {
            self.attributes.get(attribute).map(String::as_str)
        }
    }
}

/// Asks the CAS server whether `ticket` was issued for `service`. A CAS server answers a ticket
/// once: a replay or a ticket issued for another service is refused there.
pub async fn validate(
    http: &reqwest::Client,
    cfg: &SchoolSignIn,
    service: &str,
    ticket: &str,
) -> Result<Validated, SsoError> {
    let path = match cfg.cas_version {
        CasVersion::V2 => "serviceValidate",
        CasVersion::V3 => "p3/serviceValidate",
    };
    let url = format!("{}/{path}", cfg.server_url.trim_end_matches('/'));
    let resp = http
        .get(&url)
        .query(&[("service", service), ("ticket", ticket)])
        .send()
        .await
        .map_err(|e| SsoError::Unavailable(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(SsoError::Unavailable(format!(
            "CAS answered {}",
            resp.status()
        )));
    }
    let body = resp
        .text()
        .await
        .map_err(|e| SsoError::Unavailable(e.to_string()))?;
    parse_validation(&body)
}

/// Reads a `cas:serviceResponse`.
pub fn parse_validation(xml: &str) -> Result<Validated, SsoError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<String> = Vec::new();
    let mut user = None;
    let mut attributes = HashMap::new();
    let mut failure: Option<String> = None;
    let mut success = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if name == "authenticationSuccess" {
                    success = true;
                }
                if name == "authenticationFailure" {
                    let code = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == b"code")
                        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
                        .unwrap_or_default();
                    failure = Some(code);
                }
                stack.push(name);
            }
            Ok(Event::End(_)) => {
                stack.pop();
            }
            Ok(Event::Text(t)) => {
                let text = t
                    .unescape()
                    .map_err(|e| SsoError::Unavailable(format!("CAS answer: {e}")))?
                    .trim()
                    .to_string();
                let n = stack.len();
                if n >= 2 && stack[n - 1] == "user" && stack[n - 2] == "authenticationSuccess" {
                    user = Some(text);
                } else if n >= 2 && stack[n - 2] == "attributes" {
                    // The first value of a multi-valued attribute.
                    attributes.entry(stack[n - 1].clone()).or_insert(text);
                }
            }
            Ok(Event::CData(t)) => {
                let text = String::from_utf8_lossy(&t).trim().to_string();
                let n = stack.len();
                if n >= 2 && stack[n - 1] == "user" && stack[n - 2] == "authenticationSuccess" {
                    user = Some(text);
                } else if n >= 2 && stack[n - 2] == "attributes" {
                    attributes.entry(stack[n - 1].clone()).or_insert(text);
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(SsoError::Unavailable(format!("CAS answer: {e}"))),
        }
    }
    if let Some(code) = failure {
        let code: String = code
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(40)
            .collect();
        return Err(SsoError::Refused(format!("cas_{}", code.to_lowercase())));
    }
    match (success, user) {
        (true, Some(user)) if !user.is_empty() => Ok(Validated { user, attributes }),
        _ => Err(SsoError::Unavailable("CAS answer without a user".into())),
    }
}

/// The service ticket named by a CAS single-logout request (`samlp:LogoutRequest` with a
/// `samlp:SessionIndex`).
pub fn logout_ticket(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut in_index = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => in_index = e.local_name().as_ref() == b"SessionIndex",
            Ok(Event::End(_)) => in_index = false,
            Ok(Event::Text(t)) if in_index => {
                return t.unescape().ok().map(|s| s.trim().to_string());
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_success_with_attributes() {
        let xml = r#"<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">
 <cas:authenticationSuccess>
  <cas:user>zhangsan</cas:user>
  <cas:attributes>
   <cas:studentNo>2023010101</cas:studentNo>
   <cas:name>张三 &amp; 李四</cas:name>
  </cas:attributes>
 </cas:authenticationSuccess>
</cas:serviceResponse>"#;
        let v = parse_validation(xml).unwrap();
        assert_eq!(v.user, "zhangsan");
        assert_eq!(v.number("studentNo"), Some("2023010101"));
        assert_eq!(v.number(""), Some("zhangsan"));
        assert_eq!(v.attributes["name"], "张三 & 李四");
        assert_eq!(v.number("missing"), None);
    }

    #[test]
    fn reads_failure_code() {
        let xml = r#"<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">
 <cas:authenticationFailure code="INVALID_TICKET">Ticket ST-1 not recognized</cas:authenticationFailure>
</cas:serviceResponse>"#;
        match parse_validation(xml) {
            Err(SsoError::Refused(r)) => assert_eq!(r, "cas_invalid_ticket"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_validation("<html>oops</html>"),
            Err(SsoError::Unavailable(_))
        ));
    }

    #[test]
    fn reads_logout_request() {
        let xml = r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="x" Version="2.0" IssueInstant="2024-01-01T00:00:00Z"><saml:NameID xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">@NOT_USED@</saml:NameID><samlp:SessionIndex>ST-12345</samlp:SessionIndex></samlp:LogoutRequest>"#;
        assert_eq!(logout_ticket(xml).as_deref(), Some("ST-12345"));
        assert_eq!(logout_ticket("<a/>"), None);
    }
}
