//! The rebaser killed (SIGKILL) at random moments over a whole run, and while the registry proxy
//! holds a manifest upload, rebasing an app (two tags) back and forth between two run images
//! in a registry and in an OCI layout: each tag names a whole image, the old one or the
//! rebased one, in the order the tags are written; report.toml only names an image every tag
//! names; the same rebase run again succeeds.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use cnb_image::{Digest, ImageStore};
use cnb_layout::LayoutStore;
use cnb_testkit::{Fault, FaultKind, Finished, RegistryProxy};

use super::check;
use super::kill::{Ended, Rng, Running, full_run, seed, trials};
use crate::rebaser::fixture::World;

struct Suite {
    /// Registry mode: the world, and the proxy every reference goes through.
    registry: Option<(World, RegistryProxy)>,
    /// Layout mode: the root.
    layout: Option<tempfile::TempDir>,
    report: tempfile::TempDir,
    /// The app's tags as the rebaser names them, and as the store reads them.
    tags: Vec<String>,
    read_names: Vec<String>,
    /// The two run images, as the rebaser names them.
    run_images: [String; 2],
}

impl Suite {
    fn registry() -> Self {
        let world = World::start();
        let app = world.app(&world.on_v1("test/app:latest"));
        let extra = world.name("test/app:extra");
        let proxy = RegistryProxy::start(&world.registry.host()).expect("proxy");
        let via = |name: &str| name.replacen(&world.registry.host(), &proxy.host(), 1);
        let tags = vec![via(&app), via(&extra)];
        let run_images = [via(&world.v2), via(&world.v1)];
        Self {
            read_names: vec![app, extra],
            tags,
            run_images,
            registry: Some((world, proxy)),
            layout: None,
            report: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn layout() -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        crate::rebaser::layout::layouts(root.path(), &["test.local/app:latest"]);
        let tags = vec![
            "test.local/app:latest".to_owned(),
            "test.local/app:extra".to_owned(),
        ];
        Self {
            read_names: tags.clone(),
            tags,
            run_images: [
                "test.local/run:v2".to_owned(),
                "test.local/run:v1".to_owned(),
            ],
            registry: None,
            layout: Some(root),
            report: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn store(&self) -> Box<dyn ImageStore> {
        match &self.layout {
            Some(root) => Box::new(LayoutStore::new(root.path())),
            None => Box::new(crate::image_support::registry_store(
                &cnb_registry::Environment::default(),
                &[],
            )),
        }
    }

    fn report(&self) -> PathBuf {
        self.report.path().join("report.toml")
    }

    fn command(&self, run_image: &str) -> Command {
        let mut command = World::rebaser("0.15");
        if let Some(root) = &self.layout {
            command
                .env("CNB_EXPERIMENTAL_MODE", "silent")
                .arg("-layout")
                .arg("-layout-dir")
                .arg(root.path());
        }
        // Forced: the run images are named through the proxy, which no label lists.
        command
            .arg("-force")
            .arg("-run-image")
            .arg(run_image)
            .arg("-report")
            .arg(self.report())
            .args(&self.tags);
        command
    }

    fn trial(
        &self,
        store: &dyn ImageStore,
        trial: u32,
        how: &str,
        kill: impl FnOnce(Running) -> Ended,
    ) {
        let run_image = &self.run_images[usize::try_from(trial % 2).expect("index")];
        let context = format!("trial {trial} ({how}, onto {run_image})");
        let _ = std::fs::remove_file(self.report());
        let before: Vec<Option<Digest>> = check::tags(store, &self.read_names, &context);
        let ended = kill(Running::start(&mut self.command(run_image)));
        if let Ended::Finished(finished) = &ended {
            assert_eq!(finished.code, Some(0), "{context}: not killed\n{finished}");
        }
        // The registry may still act on a request whose sender is gone: wait for it.
        if let Some((_, proxy)) = &self.registry {
            assert!(
                proxy.wait_idle(Duration::from_mins(1)),
                "{context}: requests still open a minute after the kill"
            );
        }
        let after = check::tag_set(store, &self.read_names, &before, &context);
        check::report(&self.report(), &after, &context);

        let finished = Finished::run(&mut self.command(run_image));
        assert_eq!(
            finished.code,
            Some(0),
            "{context}: the next run\n{finished}"
        );
        let after = check::tags(store, &self.read_names, &context);
        assert!(self.report().is_file(), "{context}: no report.toml");
        check::report(&self.report(), &after, &context);
    }
}

#[expect(
    clippy::print_stderr,
    reason = "prints the suite's seed and figures, for a replay"
)]
fn run_suite(suite: &Suite, name: &str) {
    let seed = seed(name);
    let mut rng = Rng::new(seed);
    let store = suite.store();
    let mut runs = 0;
    let window = full_run(4, || {
        let finished = Finished::run(&mut suite.command(&suite.run_images[runs % 2]));
        runs += 1;
        assert_eq!(finished.code, Some(0), "full run\n{finished}");
    });
    let mut killed = 0;
    // Random kills until `trials()` of them stopped a run midway (a run may end first).
    let mut trial = 0;
    while killed < trials() && trial < 3 * trials() {
        trial += 1;
        let delay = rng.delay(window);
        let how = format!("seed {seed}, SIGKILL after {delay:?} of a {window:?} window");
        suite.trial(&*store, trial, &how, |running| {
            let ended = running.kill_after(delay);
            killed += u32::from(matches!(ended, Ended::Killed));
            ended
        });
    }
    let random = trial;
    let mut held = 0;
    if let Some((_, proxy)) = &suite.registry {
        let cases = [
            ("/test/app/manifests/latest", FaultKind::HoldRequest),
            ("/test/app/manifests/latest", FaultKind::HoldResponse),
            ("/test/app/manifests/extra", FaultKind::HoldResponse),
        ];
        for (index, (path, kind)) in cases.into_iter().enumerate() {
            let how = format!("seed {seed}, SIGKILL while the proxy holds {kind:?} PUT {path}");
            proxy.inject(Fault {
                method: "PUT".to_owned(),
                path_contains: path.to_owned(),
                kind,
                times: 1,
            });
            let trial = random + 1 + u32::try_from(index).expect("trial");
            suite.trial(&*store, trial, &how, |running| {
                held += 1;
                assert!(
                    proxy.wait_held(held, Duration::from_mins(1)),
                    "{how}: never held"
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
         {held} held-request kills"
    );
}

#[test]
fn killing_the_rebaser_leaves_every_tag_on_a_whole_image_in_a_registry() {
    run_suite(&Suite::registry(), "rebaser-registry");
}

#[test]
fn killing_the_rebaser_leaves_every_tag_on_a_whole_image_in_a_layout() {
    run_suite(&Suite::layout(), "rebaser-layout");
}
