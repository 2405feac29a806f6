use std::collections::BTreeSet;
use std::num::NonZeroU32;

use super::*;

fn count(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

fn shards(n: u32) -> Vec<Shard> {
    (0..n).map(|i| Shard::new(i, count(n)).unwrap()).collect()
}

/// Many references of the shapes fleets hold: hosts with ports, nested repositories, tags,
/// digests, Docker Hub short names.
fn references() -> Vec<String> {
    let mut names = Vec::new();
    for n in 0..2_500 {
        names.push(format!("127.0.0.1:5000/test/fleet-{n}:latest"));
        names.push(format!("registry.example.com/team-{}/app-{n}", n % 17));
        names.push(format!("app{n}:v{}", n % 5));
        names.push(format!("registry.example.com/app@sha256:{n:064x}"));
    }
    names
}

#[test]
fn every_image_falls_in_exactly_one_shard_for_any_count() {
    // Every shard reads every name: 2,000 names × 83 shards keeps this near a second.
    let names: Vec<String> = references().into_iter().step_by(5).collect();
    for n in [1, 2, 3, 4, 7, 16, 50] {
        let shards = shards(n);
        let mut seen = BTreeSet::new();
        let mut total = 0;
        for shard in &shards {
            let share = shard.select(&names);
            total += share.len();
            seen.extend(share);
        }
        assert_eq!(total, names.len(), "{n} shards: no image twice");
        assert_eq!(seen.len(), names.len(), "{n} shards: no image left out");
        for name in names.iter().step_by(97) {
            let owners = shards.iter().filter(|shard| shard.owns(name)).count();
            assert_eq!(owners, 1, "{name} in {n} shards");
        }
    }
}

#[test]
fn shards_are_about_even() {
    let names = references();
    for shard in shards(4) {
        let share = shard.select(&names).len();
        // 10,000 images: 2,500 expected per shard; sha256 keeps each within a few percent.
        assert!((2_300..=2_700).contains(&share), "shard {shard}: {share}");
    }
}

#[test]
fn the_assignment_ignores_list_order_and_spelling() {
    let names = references();
    let mut reversed = names.clone();
    reversed.reverse();
    for shard in shards(5) {
        let forward: BTreeSet<String> = shard.select(&names).into_iter().collect();
        let backward: BTreeSet<String> = shard.select(&reversed).into_iter().collect();
        assert_eq!(forward, backward, "shard {shard}");
    }
    let n = count(16);
    for (a, b) in [
        ("busybox", "index.docker.io/library/busybox:latest"),
        ("docker.io/library/busybox", "busybox:latest"),
        ("r.test/app", " r.test/app:latest "),
    ] {
        assert_eq!(image_key(a), image_key(b));
        assert_eq!(shard_index(a, n), shard_index(b, n), "{a} and {b}");
    }
    assert_eq!(image_key(" not a ref! "), "not a ref!");
}

#[test]
fn the_assignment_is_the_documented_formula() {
    // `printf %s KEY | sha256sum`, the first 16 hex digits as a number, mod n (computed with
    // coreutils and python, not with this code).
    let n4 = count(4);
    let n7 = count(7);
    let n1000 = count(1000);
    assert_eq!(shard_index("busybox", n4), 1);
    assert_eq!(shard_index("busybox", n7), 4);
    assert_eq!(shard_index("busybox", n1000), 245);
    let fleet0 = "127.0.0.1:5000/test/fleet-0";
    assert_eq!(
        [
            shard_index(fleet0, n4),
            shard_index(fleet0, n7),
            shard_index(fleet0, n1000)
        ],
        [3, 1, 591]
    );
    let pinned = format!("registry.example.com/team/app@sha256:{}", "0".repeat(64));
    assert_eq!(
        [
            shard_index(&pinned, n4),
            shard_index(&pinned, n7),
            shard_index(&pinned, n1000)
        ],
        [0, 4, 728]
    );
    assert_eq!(shard_index("anything", count(1)), 0);
}

#[test]
fn a_shard_is_below_its_count_and_names_its_report() {
    assert_eq!(Shard::new(4, count(4)), None);
    let shard = Shard::new(2, count(4)).unwrap();
    assert_eq!(shard.to_string(), "2/4");
    assert_eq!(shard.report_name(), "fleet-report-shard-2-of-4.jsonl");
    assert_eq!(Shard::from_report_name(&shard.report_name()), Some(shard));
    for name in [
        "fleet-report.jsonl",
        "fleet-report-shard-4-of-4.jsonl",
        "fleet-report-shard-0-of-0.jsonl",
        "fleet-report-shard-+1-of-4.jsonl",
        "fleet-report-shard-1-of-4.json",
        "fleet-report-shard-1-4.jsonl",
    ] {
        assert_eq!(Shard::from_report_name(name), None, "{name}");
    }
    let json = serde_json::to_string(&shard).unwrap();
    assert_eq!(json, r#"{"index":2,"count":4}"#);
    assert_eq!(serde_json::from_str::<Shard>(&json).unwrap(), shard);
    assert!(serde_json::from_str::<Shard>(r#"{"index":0,"count":0}"#).is_err());
    assert!(serde_json::from_str::<Shard>(r#"{"index":4,"count":4}"#).is_err());
}
