//! Choosing a run image among an image and its mirrors (platform.md › Run Image Resolution):
//! a readable candidate on the output image's registry wins; otherwise the first readable one,
//! in the order given (`image` first, then `mirrors`). Shared by the analyzer and the rebaser;
//! the caller says what "readable" means (a registry read check, or always true for an OCI
//! layout or a daemon).

use crate::ImageRef;

/// Picks the run image among `candidates` (the image, then its mirrors) for an output image on
/// `output_registry`. Candidates that are empty or do not parse are passed over; `readable` is
/// asked at most once per remaining candidate. Returns the chosen candidate as it was written.
pub fn select_run_image<'a>(
    candidates: &[&'a str],
    output_registry: &str,
    mut readable: impl FnMut(&ImageRef) -> bool,
) -> Option<&'a str> {
    let parsed: Vec<(&'a str, ImageRef)> = candidates
        .iter()
        .filter(|candidate| !candidate.is_empty())
        .filter_map(|candidate| Some((*candidate, ImageRef::parse(candidate).ok()?)))
        .collect();
    let mut answers: Vec<Option<bool>> = vec![None; parsed.len()];
    let mut ask = |index: usize, reference: &ImageRef| {
        *answers[index].get_or_insert_with(|| readable(reference))
    };
    let same_registry = parsed
        .iter()
        .enumerate()
        .filter(|(_, (_, reference))| reference.registry() == output_registry);
    for (index, (text, reference)) in same_registry {
        if ask(index, reference) {
            return Some(text);
        }
    }
    for (index, (text, reference)) in parsed.iter().enumerate() {
        if ask(index, reference) {
            return Some(text);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick<'a>(candidates: &[&'a str], registry: &str, readable: &[&str]) -> Option<&'a str> {
        select_run_image(candidates, registry, |reference| {
            readable.iter().any(|name| reference.registry() == *name)
        })
    }

    #[test]
    fn a_readable_mirror_on_the_output_registry_wins() {
        let candidates = [
            "first.example/run",
            "second.example/run",
            "third.example/run",
        ];
        let all = ["first.example", "second.example", "third.example"];
        assert_eq!(
            pick(&candidates, "third.example", &all),
            Some("third.example/run")
        );
    }

    #[test]
    fn an_unreadable_candidate_on_the_output_registry_is_passed_over() {
        let candidates = ["first.example/run", "second.example/run"];
        assert_eq!(
            pick(&candidates, "second.example", &["first.example"]),
            Some("first.example/run")
        );
    }

    #[test]
    fn otherwise_the_first_readable_candidate_in_order() {
        let candidates = [
            "first.example/run",
            "second.example/run",
            "third.example/run",
        ];
        assert_eq!(
            pick(
                &candidates,
                "other.example",
                &["third.example", "second.example"]
            ),
            Some("second.example/run")
        );
    }

    #[test]
    fn nothing_readable_is_none_and_each_candidate_is_asked_once() {
        let mut asked = Vec::new();
        let candidates = ["a.example/run", "b.example/run", "", "not a reference"];
        let chosen = select_run_image(&candidates, "a.example", |reference| {
            asked.push(reference.registry().to_owned());
            false
        });
        assert_eq!(chosen, None);
        assert_eq!(asked, ["a.example", "b.example"]);
    }

    #[test]
    fn docker_hub_names_match_the_default_registry() {
        let candidates = ["other.example/run", "ubuntu"];
        assert_eq!(
            pick(
                &candidates,
                "index.docker.io",
                &["other.example", "index.docker.io"]
            ),
            Some("ubuntu")
        );
    }
}
