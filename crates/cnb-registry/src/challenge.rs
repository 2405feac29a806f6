//! `WWW-Authenticate` challenges of registries (RFC 7235; the Docker token-auth
//! specification): `Basic realm="…"`, or `Bearer realm="…",service="…",scope="…"` naming the
//! token service that hands out access tokens.

/// What a registry asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// HTTP basic auth on every request.
    Basic,
    /// A token from the token service at `realm`.
    Bearer {
        /// The token service's URL.
        realm: String,
        /// The `service` to name when asking for a token.
        service: Option<String>,
    },
}

/// The first challenge of `header` we can answer; `None` for other schemes or a `Bearer`
/// challenge without a realm.
pub(crate) fn parse(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, params) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut realm = None;
    let mut service = None;
    let mut rest = params.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let after = after.trim_start();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim_end(), &after[end..])
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "realm" => realm = Some(value.to_owned()),
            "service" => service = Some(value.to_owned()),
            _ => {}
        }
        rest = remaining.trim_start().trim_start_matches(',').trim_start();
    }
    Some(Challenge::Bearer {
        realm: realm.filter(|realm| !realm.is_empty())?,
        service: service.filter(|service| !service.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_basic_and_bearer_challenges() {
        assert_eq!(
            parse(
                r#"Bearer realm="https://auth.io/token",service="registry.io",scope="repository:a:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.io/token".into(),
                service: Some("registry.io".into()),
            })
        );
        assert_eq!(
            parse("bearer realm=http://x/t, service=s"),
            Some(Challenge::Bearer {
                realm: "http://x/t".into(),
                service: Some("s".into()),
            })
        );
        assert_eq!(parse(r#"Basic realm="registry""#), Some(Challenge::Basic));
        assert_eq!(parse("basic"), Some(Challenge::Basic));
        assert_eq!(parse("Negotiate abc"), None);
        assert_eq!(parse(r#"Bearer service="s""#), None);
        assert_eq!(parse(r#"Bearer realm="unterminated"#), None);
        assert_eq!(parse(r#"Bearer realm="""#), None);
    }
}
