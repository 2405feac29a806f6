//! The restorer killed (SIGKILL) at random moments over a whole run (and while it extracts a cached
//! layer), restoring from a volume cache or a cache image: the cache is never written (the
//! same bytes after every kill), analyzed.toml (which it rewrites) is whole, and the restorer
//! run again on what the killed one left, as a platform retrying the step would, succeeds
//! and restores the cached layers.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use cnb_image::Digest;
use cnb_testkit::{Finished, Lifecycle};

use super::check;
use super::kill::{Ended, Rng, Running, full_run, seed, trials};
use crate::exporter::fixture::{World, owner};

struct Suite {
    world: World,
    cache_dir: PathBuf,
    cache_image: String,
    analyzed: String,
}

impl Suite {
    /// A build exported once to each cache, then `<layers>` as the restorer finds it.
    fn start() -> Self {
        let world = World::start();
        let cache_dir = world.dir.path().join("cache");
        fs::create_dir(&cache_dir).expect("cache dir");
        let app = world.name("test/app:latest");
        let cache_image = world.name("test/cache:latest");
        world.export(&app, &[&format!("-cache-dir={}", cache_dir.display())]);
        world.export(&app, &[&format!("-cache-image={cache_image}")]);
        let label = world.label(&app, "io.buildpacks.lifecycle.metadata");
        world.write_analyzed(Some((&app, &label)), &world.run_digest_ref.clone());
        let analyzed =
            fs::read_to_string(world.layers().join("analyzed.toml")).expect("analyzed.toml");
        let suite = Self {
            world,
            cache_dir,
            cache_image,
            analyzed,
        };
        suite.fresh_layers();
        suite
    }

    /// `<layers>` as the analyzer and detector leave it: no buildpack directories.
    fn fresh_layers(&self) {
        for name in ["test_first", "second", "sbom"] {
            let path = self.world.layers().join(name);
            if path.exists() {
                fs::remove_dir_all(&path).expect("remove");
            }
        }
        fs::write(self.world.layers().join("analyzed.toml"), &self.analyzed)
            .expect("analyzed.toml");
    }

    fn command(&self, image_cache: bool) -> Command {
        let mut command = Lifecycle::installed().command("restorer");
        let (uid, gid) = owner(self.world.dir.path());
        let layers = self.world.layers();
        command
            .env("CNB_PLATFORM_API", "0.15")
            .arg(format!("-layers={}", layers.display()))
            .arg(format!("-run={}", layers.join("run.toml").display()))
            .arg(format!("-uid={uid}"))
            .arg(format!("-gid={gid}"));
        if image_cache {
            command.arg(format!("-cache-image={}", self.cache_image));
        } else {
            command.arg(format!("-cache-dir={}", self.cache_dir.display()));
        }
        command
    }

    /// Every file of the volume cache and the cache image's digest.
    fn cache_state(&self) -> (BTreeMap<PathBuf, Digest>, Option<Digest>) {
        let mut files = BTreeMap::new();
        hash_tree(&self.cache_dir, &mut files);
        let image = check::whole_image(&self.world.store, &self.cache_image, "cache image");
        (files, image)
    }

    fn trial(&self, trial: u32, image_cache: bool, how: &str, kill: impl FnOnce(Running) -> Ended) {
        let context = format!("trial {trial} ({how}, image cache {image_cache})");
        self.fresh_layers();
        let before = self.cache_state();
        let ended = kill(Running::start(&mut self.command(image_cache)));
        if let Ended::Finished(finished) = &ended {
            assert_eq!(finished.code, Some(0), "{context}: not killed\n{finished}");
        }
        assert!(
            self.cache_state() == before,
            "{context}: the restorer changed the cache"
        );
        let analyzed_path = self.world.layers().join("analyzed.toml");
        let analyzed = fs::read_to_string(&analyzed_path).expect("analyzed.toml");
        let parsed: Result<toml::Table, _> = toml::from_str(&analyzed);
        assert!(
            parsed.is_ok_and(|table| table.contains_key("run-image")),
            "{context}: analyzed.toml is not whole:\n{analyzed}"
        );

        let finished = Finished::run(&mut self.command(image_cache));
        assert_eq!(finished.code, Some(0), "{context}: the retry\n{finished}");
        assert!(
            finished
                .stdout
                .contains("Restoring data for \"test/first:cached\" from cache"),
            "{context}: the retry did not use the cache\n{finished}"
        );
        let layers = self.world.layers();
        for (path, text) in [
            ("test_first/cached/data", "launch and cache\n"),
            ("second/cache-only/blob", "cache only\n"),
        ] {
            assert_eq!(
                fs::read_to_string(layers.join(path)).ok().as_deref(),
                Some(text),
                "{context}: {path} after the retry\n{finished}"
            );
        }
        assert!(layers.join("test_first/cached.toml").is_file(), "{context}");
    }
}

fn hash_tree(dir: &Path, files: &mut BTreeMap<PathBuf, Digest>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            hash_tree(&path, files);
        } else {
            files.insert(
                path.clone(),
                Digest::of(&fs::read(&path).expect("cache file")),
            );
        }
    }
}

#[test]
#[expect(
    clippy::print_stderr,
    reason = "prints the suite's seed and figures, for a replay"
)]
fn killing_the_restorer_never_touches_the_cache_and_a_retry_restores_from_it() {
    let suite = Suite::start();
    let seed = seed("restorer");
    let mut rng = Rng::new(seed);
    let mut runs = 0;
    let window = full_run(3, || {
        runs += 1;
        suite.fresh_layers();
        let finished = Finished::run(&mut suite.command(runs % 2 == 0));
        assert_eq!(finished.code, Some(0), "full run\n{finished}");
    });
    let mut killed = 0;
    // Random kills until `trials()` of them stopped a run midway (a run may end first).
    let mut trial = 0;
    while killed < trials() && trial < 3 * trials() {
        trial += 1;
        let image_cache = rng.below(2) == 0;
        let delay = rng.delay(window);
        let how = format!("seed {seed}, SIGKILL after {delay:?} of a {window:?} window");
        suite.trial(trial, image_cache, &how, |running| {
            let ended = running.kill_after(delay);
            killed += u32::from(matches!(ended, Ended::Killed));
            ended
        });
    }
    let extracting = suite.world.layers().join("test_first/cached");
    let mut moments = 0;
    for repeat in 0..4 {
        let how = format!("seed {seed}, SIGKILL as a cached layer is extracted");
        suite.trial(trial + 1 + repeat, repeat % 2 == 0, &how, |running| {
            let (ended, came) = running.kill_when(|| extracting.exists());
            moments += u32::from(came);
            ended
        });
    }
    eprintln!(
        "crash suite restorer: {trial} random trials, {killed} killed midway (window {window:?}), \
         {moments} of 4 kills while extracting"
    );
}
