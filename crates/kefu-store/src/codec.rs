//! Text encodings of the few list-valued fields, shared by every backend so
//! that a row means the same thing in each: whitelists (comma-separated),
//! permission sets (comma-separated ids) and quotas (`path daily minute`
//! triples separated by `;`, `-` for no limit).

use kefu_core::quota::QuotaRule;

/// `a,b,c`.
pub fn encode_list(items: &[String]) -> String {
    items.join(",")
}

/// The items of `a,b,c` (none for an empty string).
pub fn decode_list(text: &str) -> Vec<String> {
    text.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// `1,6,100`.
pub fn encode_sets(sets: &[u32]) -> String {
    sets.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

/// The ids of `1,6,100`; `None` when one is not a number.
pub fn decode_sets(text: &str) -> Option<Vec<u32>> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect()
}

fn limit(v: Option<u32>) -> String {
    v.map_or_else(|| "-".to_owned(), |n| n.to_string())
}

/// `path daily minute;...`.
pub fn encode_quotas(rules: &[QuotaRule]) -> String {
    let triples: Vec<String> = rules
        .iter()
        .map(|r| format!("{} {} {}", r.path, limit(r.daily), limit(r.per_minute)))
        .collect();
    triples.join(";")
}

/// The rules of `path daily minute;...`; `None` when malformed.
pub fn decode_quotas(text: &str) -> Option<Vec<QuotaRule>> {
    let parse = |v: &str| if v == "-" { Some(None) } else { v.parse().ok().map(Some) };
    text.split(';')
        .filter(|s| !s.is_empty())
        .map(|triple| {
            let mut parts = triple.split(' ');
            let (path, daily, minute) = (parts.next()?, parts.next()?, parts.next()?);
            Some(QuotaRule {
                path: path.to_owned(),
                daily: parse(daily)?,
                per_minute: parse(minute)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        let list = vec!["1.2.3.4".to_owned(), "10.0.0.0/8".to_owned()];
        assert_eq!(decode_list(&encode_list(&list)), list);
        assert!(decode_list("").is_empty());
        assert_eq!(decode_sets(&encode_sets(&[1, 6, 100])), Some(vec![1, 6, 100]));
        let rules = vec![
            QuotaRule {
                path: "/a".into(),
                daily: Some(5),
                per_minute: None,
            },
            QuotaRule {
                path: "/b".into(),
                daily: None,
                per_minute: Some(2),
            },
        ];
        assert_eq!(decode_quotas(&encode_quotas(&rules)), Some(rules));
        assert_eq!(decode_quotas(""), Some(vec![]));
        assert_eq!(decode_quotas("/a x -"), None);
    }
}
