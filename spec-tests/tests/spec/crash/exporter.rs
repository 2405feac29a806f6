//! The exporter killed (SIGKILL) at random moments over a whole run (and at the riskiest ones: a
//! manifest or blob upload held by the registry proxy, the cache being staged or committed),
//! writing to a registry (two tags, a volume cache or a cache image, sometimes `-parallel`)
//! or to an OCI layout (two tags, a volume cache). After each kill the state is checked (see
//! `check`), then the same export runs again to the end: it must succeed, reuse the cached
//! layer, and leave no staging, backup or staged file behind.

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use cnb_image::{Digest, ImageStore};
use cnb_layout::LayoutStore;
use cnb_testkit::{Fault, FaultKind, Finished, RegistryProxy, TarLayer};

use super::check;
use super::kill::{Ended, Rng, Running, full_run, seed, trials};
use crate::exporter::fixture::World;
use crate::image_support::{push_image, reference};

/// What the export writes its cache to in a trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CacheKind {
    Volume,
    Image,
}

/// Where a held request is, for the targeted kills.
const HELD: &[(&str, &str, FaultKind)] = &[
    ("PUT", "/test/app/manifests/", FaultKind::HoldRequest),
    ("PUT", "/test/app/manifests/", FaultKind::HoldResponse),
    ("PUT", "/test/other/manifests/", FaultKind::HoldResponse),
    ("PUT", "/test/app/blobs/uploads/", FaultKind::HoldRequest),
    ("PUT", "/test/cache/manifests/", FaultKind::HoldRequest),
    ("PUT", "/test/cache/blobs/uploads/", FaultKind::HoldResponse),
];

/// The world of one suite: where the export writes and how it is run.
struct Suite {
    world: World,
    /// Set in registry mode: every reference goes through it, faults on demand.
    proxy: Option<RegistryProxy>,
    /// The layout root in layout mode.
    layout: Option<PathBuf>,
    tags: Vec<String>,
    cache_dir: PathBuf,
    cache_image: String,
}

impl Suite {
    fn registry() -> Self {
        let world = World::start();
        let proxy = RegistryProxy::start(&world.registry.host()).expect("proxy");
        let host = proxy.host();
        // The run image read through the proxy too: one registry as the exporter sees it.
        let run_digest = world
            .run_digest_ref
            .rsplit_once('@')
            .map(|(_, digest)| digest.to_owned())
            .expect("digest reference");
        world.write_analyzed(None, &format!("{host}/test/run@{run_digest}"));
        let cache_dir = world.dir.path().join("cache");
        fs::create_dir(&cache_dir).expect("cache dir");
        Self {
            tags: vec![
                format!("{host}/test/app:latest"),
                format!("{host}/test/other:tag"),
            ],
            cache_image: format!("{host}/test/cache:latest"),
            proxy: Some(proxy),
            layout: None,
            cache_dir,
            world,
        }
    }

    fn layout() -> Self {
        let world = World::start();
        let root = world.dir.path().join("layout-repo");
        let run_name = "example.com/test/run:v1";
        let run = push_image(
            &LayoutStore::new(&root),
            &[reference(run_name)],
            &[TarLayer::of(&[("etc/os-release", "ID=busybox\n")])],
            &[("io.buildpacks.rebasable", "true")],
        );
        let run_path = root.join("example.com/test/run/v1");
        fs::write(
            world.layers().join("analyzed.toml"),
            format!(
                "[run-image]\n  reference = \"{}@{}\"\n  image = \"{run_name}\"\n",
                run_path.display(),
                run.digest
            ),
        )
        .expect("write analyzed.toml");
        let cache_dir = world.dir.path().join("cache");
        fs::create_dir(&cache_dir).expect("cache dir");
        Self {
            tags: vec![
                "example.com/test/app:latest".to_owned(),
                "example.com/test/other:tag".to_owned(),
            ],
            cache_image: String::new(),
            proxy: None,
            layout: Some(root),
            cache_dir,
            world,
        }
    }

    /// Reads what the tags name: the registry directly (not through the proxy), or the layout.
    fn store(&self) -> Box<dyn ImageStore> {
        match &self.layout {
            Some(root) => Box::new(LayoutStore::new(root)),
            None => Box::new(crate::image_support::registry_store(
                &cnb_registry::Environment::default(),
                &[],
            )),
        }
    }

    /// The tags as the store reads them.
    fn read_names(&self) -> Vec<String> {
        let Some(proxy) = &self.proxy else {
            return self.tags.clone();
        };
        let direct = self.world.registry.host();
        self.tags
            .iter()
            .map(|tag| tag.replacen(&proxy.host(), &direct, 1))
            .collect()
    }

    fn cache_image_direct(&self) -> String {
        let proxy = self.proxy.as_ref().expect("registry mode");
        self.cache_image
            .replacen(&proxy.host(), &self.world.registry.host(), 1)
    }

    /// Makes trial `trial`'s inputs differ from the last: the app and one cache layer change,
    /// the other cache layer stays (and must be reused).
    fn vary(&self, trial: u32) {
        fs::write(self.world.app().join("trial.txt"), format!("{trial}\n")).expect("app");
        fs::write(
            self.world.layers().join("second/cache-only/blob"),
            format!("cache only, trial {trial}\n"),
        )
        .expect("cache layer");
        let _ = fs::remove_file(self.report());
    }

    fn report(&self) -> PathBuf {
        self.world.layers().join("report.toml")
    }

    fn command(&self, cache: CacheKind, parallel: bool) -> Command {
        let mut command = self.world.exporter("0.15");
        if let Some(root) = &self.layout {
            command
                .env("CNB_EXPERIMENTAL_MODE", "silent")
                .arg("-layout")
                .arg(format!("-layout-dir={}", root.display()));
        }
        match cache {
            CacheKind::Volume => command.arg(format!("-cache-dir={}", self.cache_dir.display())),
            CacheKind::Image => command.arg(format!("-cache-image={}", self.cache_image)),
        };
        if parallel {
            command.arg("-parallel");
        }
        command.args(&self.tags);
        command
    }

    /// Every directory a killed layout writer may leave a staged file in.
    fn layout_dirs(&self) -> Vec<PathBuf> {
        let Some(root) = &self.layout else {
            return Vec::new();
        };
        self.tags
            .iter()
            .flat_map(|tag| {
                let dir = cnb_layout::layout_path(root, &reference(tag)).expect("layout path");
                [dir.join("blobs/sha256"), dir]
            })
            .collect()
    }

    /// Waits until a request the killed run had on the wire has reached the registry or
    /// failed: the registry may still act on a request whose sender is gone.
    fn settle(&self, context: &str) {
        if let Some(proxy) = &self.proxy {
            assert!(
                proxy.wait_idle(Duration::from_mins(1)),
                "{context}: requests still open a minute after the kill"
            );
        }
    }

    /// What must hold after a killed run.
    fn check_killed(
        &self,
        store: &dyn ImageStore,
        before: &[Option<Digest>],
        cache: CacheKind,
        context: &str,
    ) {
        let after = check::tag_set(store, &self.read_names(), before, context);
        check::report(&self.report(), &after, context);
        check::volume_cache(&self.cache_dir, context);
        if cache == CacheKind::Image {
            check::cache_image(store, &self.cache_image_direct(), context);
        }
    }

    /// The same export again, to the end: it must succeed, use the cache and clean up.
    fn recover(&self, store: &dyn ImageStore, cache: CacheKind, parallel: bool, context: &str) {
        let finished = Finished::run(&mut self.command(cache, parallel));
        assert_eq!(
            finished.code,
            Some(0),
            "{context}: the next run\n{finished}"
        );
        assert!(
            finished
                .stdout
                .contains("Reusing cache layer 'test/first:cached'"),
            "{context}: the next run did not use the cache\n{finished}"
        );
        let names = self.read_names();
        let after = check::tags(store, &names, context);
        assert!(
            self.report().is_file(),
            "{context}: no report.toml after success"
        );
        check::report(&self.report(), &after, context);
        match cache {
            CacheKind::Volume => check::volume_cache_clean(&self.cache_dir, context),
            CacheKind::Image => check::cache_image(store, &self.cache_image_direct(), context),
        }
        check::no_staged_files(&self.layout_dirs(), context);
    }

    /// One killed run and its recovery. `kill` starts the run and kills it.
    fn trial(
        &self,
        store: &dyn ImageStore,
        trial: u32,
        cache: CacheKind,
        parallel: bool,
        how: &str,
        kill: impl FnOnce(Running) -> Ended,
    ) {
        self.vary(trial);
        let context = format!("trial {trial} ({how}, {cache:?} cache, parallel {parallel})");
        let before = check::tags(store, &self.read_names(), &context);
        let ended = kill(Running::start(&mut self.command(cache, parallel)));
        if let Ended::Finished(finished) = &ended {
            assert_eq!(finished.code, Some(0), "{context}: not killed\n{finished}");
        }
        self.settle(&context);
        self.check_killed(store, &before, cache, &context);
        self.recover(store, cache, parallel, &context);
    }
}

/// Runs `suite`'s random trials, then its targeted ones.
#[expect(
    clippy::print_stderr,
    reason = "prints the suite's seed and figures, for a replay"
)]
fn run_suite(suite: &Suite, name: &str) {
    let seed = seed(name);
    let mut rng = Rng::new(seed);
    let store = suite.store();
    let caches: &[CacheKind] = if suite.layout.is_some() {
        &[CacheKind::Volume]
    } else {
        &[CacheKind::Volume, CacheKind::Image]
    };
    // Every cache and tag exists before the first kill; then three runs like the trials' set
    // the kill window.
    let mut runs = 0;
    let mut full = || {
        runs += 1;
        suite.vary(1000 + runs);
        let cache = caches[runs as usize % caches.len()];
        let finished = Finished::run(&mut suite.command(cache, false));
        assert_eq!(finished.code, Some(0), "full run\n{finished}");
    };
    for _ in caches {
        full();
    }
    let window = full_run(3, full);
    let mut killed = 0;
    // Random kills until `trials()` of them stopped a run midway (a run may end first).
    let mut trial = 0;
    while killed < trials() && trial < 3 * trials() {
        trial += 1;
        let cache = caches[usize::try_from(rng.below(caches.len() as u64)).expect("index")];
        let parallel = rng.below(4) == 0;
        let delay = rng.delay(window);
        let how = format!("seed {seed}, SIGKILL after {delay:?} of a {window:?} window");
        suite.trial(&*store, trial, cache, parallel, &how, |running| {
            let ended = running.kill_after(delay);
            if matches!(ended, Ended::Killed) {
                killed += 1;
            }
            ended
        });
    }
    let random = trial;
    let mut moments = 0;
    for (offset, (moment, dir)) in [
        ("the cache being staged", suite.cache_dir.join("staging")),
        (
            "the cache being committed",
            suite.cache_dir.join("committed-backup"),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        for repeat in 0..3 {
            let trial = random + 1 + u32::try_from(offset * 3 + repeat).expect("trial");
            let how = format!("seed {seed}, SIGKILL at {moment}");
            suite.trial(&*store, trial, CacheKind::Volume, false, &how, |running| {
                let (ended, came) = running.kill_when(|| dir.exists());
                moments += u32::from(came);
                ended
            });
        }
    }
    if let Some(proxy) = &suite.proxy {
        let mut held_so_far = 0;
        for (index, (method, path, kind)) in HELD.iter().enumerate() {
            let trial = random + 100 + u32::try_from(index).expect("trial");
            let cache = if path.contains("/test/cache/") {
                CacheKind::Image
            } else {
                CacheKind::Volume
            };
            let how =
                format!("seed {seed}, SIGKILL while the proxy holds {kind:?} {method} {path}");
            proxy.inject(Fault {
                method: (*method).to_owned(),
                path_contains: (*path).to_owned(),
                kind: kind.clone(),
                times: 1,
            });
            suite.trial(&*store, trial, cache, false, &how, |running| {
                held_so_far += 1;
                assert!(
                    proxy.wait_held(held_so_far, Duration::from_mins(1)),
                    "{how}: the request was never held"
                );
                let ended = running.kill();
                proxy.release();
                assert!(matches!(ended, Ended::Killed), "{how}: finished while held");
                ended
            });
        }
    }
    eprintln!(
        "crash suite {name}: {random} random trials, {killed} killed midway (window {window:?}), \
         {moments} of 6 kills at a cache moment, {} held-request kills",
        suite.proxy.as_ref().map_or(0, |_| HELD.len())
    );
}

#[test]
fn killing_the_exporter_never_leaves_a_half_written_tag_cache_or_report_in_a_registry() {
    let suite = Suite::registry();
    run_suite(&suite, "exporter-registry");
}

#[test]
fn killing_the_exporter_never_leaves_a_half_written_layout_cache_or_report() {
    let suite = Suite::layout();
    run_suite(&suite, "exporter-layout");
}
