//! The two path helpers Go's tar writer relies on: USTAR prefix splitting and the `path.Join`
//! that names a PAX extended header after its entry.

use super::encode::{NAME_LEN, PREFIX_LEN};
use super::is_ascii;

/// Splits a long ASCII name at a `/` into a prefix of at most 155 bytes and a non-empty name
/// of at most 100 bytes, the split point being past the first byte (Go `splitUSTARPath`).
pub(crate) fn split_ustar(name: &[u8]) -> Option<(&[u8], &[u8])> {
    if name.len() <= NAME_LEN || !is_ascii(name) {
        return None;
    }
    let mut length = name.len();
    if length > PREFIX_LEN + 1 {
        length = PREFIX_LEN + 1;
    } else if name[length - 1] == b'/' {
        length -= 1;
    }
    let slash = name[..length].iter().rposition(|&b| b == b'/')?;
    let suffix = &name[slash + 1..];
    if slash == 0 || suffix.is_empty() || suffix.len() > NAME_LEN || slash > PREFIX_LEN {
        return None;
    }
    Some((&name[..slash], suffix))
}

/// The name of the PAX extended header of the entry `name`: `<dir>/PaxHeaders.0/<base>`,
/// cleaned as Go's `path.Join` cleans it.
pub(crate) fn pax_header_name(name: &[u8]) -> Vec<u8> {
    let split = name.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    let (dir, file) = name.split_at(split);
    let mut joined = Vec::with_capacity(name.len() + 14);
    for element in [dir, b"PaxHeaders.0".as_slice(), file] {
        if element.is_empty() {
            continue;
        }
        if !joined.is_empty() {
            joined.push(b'/');
        }
        joined.extend_from_slice(element);
    }
    clean(&joined)
}

/// Go's `path.Clean`: one slash between elements, no `.` elements, `..` resolved lexically,
/// `.` for an empty result.
pub(crate) fn clean(path: &[u8]) -> Vec<u8> {
    let rooted = path.first() == Some(&b'/');
    let mut out: Vec<&[u8]> = Vec::new();
    let mut leading_dotdots = 0;
    for element in path.split(|&b| b == b'/') {
        match element {
            b"" | b"." => {}
            b".." => {
                if out.len() > leading_dotdots {
                    out.pop();
                } else if !rooted {
                    out.push(b"..");
                    leading_dotdots += 1;
                }
            }
            element => out.push(element),
        }
    }
    let mut cleaned = Vec::with_capacity(path.len());
    if rooted {
        cleaned.push(b'/');
    }
    for (index, element) in out.iter().enumerate() {
        if index > 0 {
            cleaned.push(b'/');
        }
        cleaned.extend_from_slice(element);
    }
    if cleaned.is_empty() {
        cleaned.push(b'.');
    }
    cleaned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_long_ascii_names_at_the_last_usable_slash() {
        let name = format!("{}/{}", "p".repeat(150), "n".repeat(100));
        let (prefix, suffix) = split_ustar(name.as_bytes()).unwrap();
        assert_eq!((prefix.len(), suffix.len()), (150, 100));
        let deep = format!("/{}/{}", "d".repeat(60), "f".repeat(60));
        let (prefix, suffix) = split_ustar(deep.as_bytes()).unwrap();
        assert_eq!((prefix.len(), suffix.len()), (61, 60));
    }

    #[test]
    fn refuses_what_cannot_be_split() {
        // a base name over 100 bytes
        assert!(split_ustar(format!("a/{}", "n".repeat(101)).as_bytes()).is_none());
        // only a leading slash to split at
        assert!(split_ustar(format!("/{}", "n".repeat(100)).as_bytes()).is_none());
        // a prefix over 155 bytes
        assert!(split_ustar(format!("{}/n", "p".repeat(156)).as_bytes()).is_none());
        // not ASCII, or short enough not to need it
        assert!(split_ustar(format!("é/{}", "n".repeat(100)).as_bytes()).is_none());
        assert!(split_ustar(b"a/b").is_none());
        // a trailing slash is not a split point
        let dir = format!("{}/{}/", "p".repeat(10), "n".repeat(99));
        let (prefix, suffix) = split_ustar(dir.as_bytes()).unwrap();
        assert_eq!((prefix.len(), suffix.len()), (10, 100));
        assert!(
            split_ustar(format!("{}/{}/", "p".repeat(10), "n".repeat(100)).as_bytes()).is_none()
        );
    }

    #[test]
    fn names_pax_headers_like_go() {
        assert_eq!(pax_header_name(b"/a/b/c"), b"/a/b/PaxHeaders.0/c");
        assert_eq!(pax_header_name(b"c"), b"PaxHeaders.0/c");
        assert_eq!(pax_header_name(b"a/dir/"), b"a/dir/PaxHeaders.0");
        assert_eq!(pax_header_name(b"./x//y/../z"), b"x/PaxHeaders.0/z");
    }

    #[test]
    fn cleans_like_go() {
        for (input, want) in [
            ("", "."),
            ("/", "/"),
            ("a/./b/", "a/b"),
            ("/../a", "/a"),
            ("../../a/..", "../.."),
            ("a/../../b", "../b"),
            ("//x///y", "/x/y"),
        ] {
            assert_eq!(clean(input.as_bytes()), want.as_bytes(), "{input}");
        }
    }
}
