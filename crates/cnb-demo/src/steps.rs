//! The seven steps, in order. Each holds what it starts in values whose drop stops or removes
//! it (registry, proxy, containers, temp dirs), so a failing step leaves nothing behind.

use std::fs;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use cnb_testkit::{RegistryFixture, RegistryProxy, RunImage};

use crate::builder::BuilderTree;
use crate::console::{Console, short, size};
use crate::container::Bundle;
use crate::image::AppImage;
use crate::phases::{Created, create, rebase};
use crate::tool::run_quiet;
use crate::traffic::Traffic;
use crate::{DemoError, Options, Outcome, Rebase, Rebuild, step};

/// Label that tells the demo's two run images apart.
const VERSION_LABEL: &str = "org.opencontainers.image.version";
/// The run image's repository and tag; v2 replaces v1 under it.
const RUN_IMAGE: &str = "demo/run:latest";
const APP_TEXT: &str = "Hello from an app built by the Rust CNB lifecycle.";
const HTTP_TIMEOUT: Duration = Duration::from_secs(20);

/// The registry and the counting proxy every image reference goes through.
struct Registry {
    registry: RegistryFixture,
    proxy: RegistryProxy,
}

impl Registry {
    /// `<proxy>/<repo_and_tag>`: what the lifecycle is given.
    fn reference(&self, repo_and_tag: &str) -> String {
        format!("{}/{repo_and_tag}", self.proxy.host())
    }

    /// Builds run image `version` and pushes it as [`RUN_IMAGE`] (skopeo, straight to the
    /// registry), as a base image's maintainer updates its tag; returns the reference the
    /// lifecycle is given (through the proxy).
    fn push_run_image(&self, version: &str, console: &Console) -> Result<String, String> {
        let pushed = RunImage::default()
            .label(VERSION_LABEL, version)
            .push(&self.registry, RUN_IMAGE)
            .map_err(|err| format!("cannot build or push run image v{version}: {err}"))?;
        let reference = self.reference(RUN_IMAGE);
        console.field(
            &format!("run image v{version}"),
            &format!("{reference}  {}", short(&pushed.digest)),
        );
        Ok(reference)
    }
}

pub(crate) fn run(options: &Options, console: &Console) -> Result<Outcome, DemoError> {
    let lifecycle = &options.lifecycle_dir;
    let samples = options.testdata_dir.join("buildpacks/samples");
    let app_source = options.testdata_dir.join("apps/hello-web");

    let (registry, run_v1) = step(console, 1, "Start a registry and push run image v1", || {
        check_inputs(lifecycle, &samples, &app_source)?;
        start_registry(console)
    })?;
    let app = registry.reference("demo/app:latest");

    let (mut tree, first) = step(console, 2, "Build the app with creator", || {
        let mut tree = BuilderTree::lay_out(lifecycle, &samples, &app_source, &run_v1)?;
        console.field("builder tree", &tree.root().display().to_string());
        console.field("app", &app);
        registry.proxy.clear();
        let created = create(&mut tree, &app, &run_v1, None, console)?;
        Ok((tree, created))
    })?;

    let image_digest = step(console, 3, "Inspect the image it pushed", || {
        let digest = first.digest()?;
        console.field("image digest", &digest);
        let image = AppImage::inspect(&app)?;
        show_layers(console, &image, &Traffic::of(&registry.proxy.requests()));
        Ok(digest)
    })?;

    let (index_html, status_txt) = step(console, 4, "Run the image and ask the app", || {
        serve(&app, &tree, console)
    })?;

    let (unchanged_rebuild, changed_rebuild) = step(
        console,
        5,
        "Rebuild: what was reused, what was uploaded",
        || {
            console.info("Unchanged app, with -previous-image and the cache:");
            let unchanged = rebuild(&registry, &mut tree, &app, &run_v1, console)?;
            let index = tree.app().join("index.html");
            let text = fs::read_to_string(&index)
                .map_err(|err| format!("cannot read {}: {err}", index.display()))?;
            fs::write(&index, format!("{text}<p>Changed and rebuilt.</p>\n"))
                .map_err(|err| format!("cannot write {}: {err}", index.display()))?;
            console.info("");
            console.info("After a change of index.html:");
            let changed = rebuild(&registry, &mut tree, &app, &run_v1, console)?;
            Ok((unchanged, changed))
        },
    )?;

    let rebase = step(console, 6, "Rebase onto run image v2", || {
        rebase_onto_v2(&registry, &tree, &app, console)
    })?;

    step(console, 7, "Clean up", || {
        let left = containers_left()?;
        console.field(
            "containers",
            &format!("{left} left behind (each was deleted after its step)"),
        );
        console.field("proxy", "stopped");
        drop(registry.proxy);
        let pid = registry.registry.pid();
        drop(registry.registry);
        console.field("registry", &format!("stopped (pid {pid})"));
        let removed = tree.remove()?;
        console.field("removed", &removed.display().to_string());
        Ok(())
    })?;

    Ok(Outcome {
        image_digest,
        index_html,
        status_txt,
        unchanged_rebuild,
        changed_rebuild,
        rebase,
    })
}

fn check_inputs(lifecycle: &Path, samples: &Path, app: &Path) -> Result<(), String> {
    if !nix::unistd::getuid().is_root() {
        return Err(
            "the demo runs containers with runc and the creator as pack does (root \
                    dropping to uid 1000): run it as root"
                .to_owned(),
        );
    }
    for (path, what) in [
        (
            lifecycle.join("creator"),
            "an installed lifecycle (make install)",
        ),
        (samples.join("order.toml"), "the sample buildpacks"),
        (app.join("index.html"), "the sample app"),
    ] {
        if !path.exists() {
            return Err(format!("{} is missing: expected {what}", path.display()));
        }
    }
    Ok(())
}

fn start_registry(console: &Console) -> Result<(Registry, String), String> {
    let registry =
        RegistryFixture::start().map_err(|err| format!("cannot start docker-registry: {err}"))?;
    console.field(
        "registry",
        &format!(
            "{} (docker-registry, pid {})",
            registry.url(),
            registry.pid()
        ),
    );
    let proxy = RegistryProxy::start(&registry.host())
        .map_err(|err| format!("cannot start the counting proxy: {err}"))?;
    console.field(
        "counting proxy",
        &format!(
            "http://{} (counts what the registry receives)",
            proxy.host()
        ),
    );
    let registry = Registry { registry, proxy };
    let run_v1 = registry.push_run_image("1", console)?;
    Ok((registry, run_v1))
}

/// One row per layer: what it holds, its size and digest, and what this build did with it.
fn show_layers(console: &Console, image: &AppImage, traffic: &Traffic) {
    console.info(&format!(
        "{:<28} {:>9}  {:<20} {}",
        "layer", "size", "digest", "this build"
    ));
    for layer in &image.layers {
        let action = if traffic.uploaded.contains(&layer.digest) {
            "uploaded"
        } else if traffic.mounted.contains(&layer.digest) {
            "mounted from demo/run (no upload)"
        } else {
            "already in the registry"
        };
        console.info(&format!(
            "{:<28} {:>9}  {:<20} {action}",
            layer.name,
            size(layer.size),
            short(&layer.digest)
        ));
    }
    console.field(
        "registry got",
        &format!(
            "{} requests; {} blob upload(s), {}; {} manifest(s), {}",
            traffic.requests,
            traffic.uploaded.len(),
            size(traffic.upload_bytes),
            traffic.manifests,
            size(traffic.manifest_bytes)
        ),
    );
}

/// Pulls the app image, runs its default process (`web`) on a free port, and fetches `/` and
/// `/status.txt`; the container is deleted before this returns.
fn serve(app: &str, tree: &BuilderTree, console: &Console) -> Result<(String, String), String> {
    let work = tree.root().join("run-web");
    fs::create_dir(&work).map_err(|err| format!("mkdir {}: {err}", work.display()))?;
    let bundle = Bundle::pull(app, &work)?;
    let port = free_port()?.to_string();
    bundle.configure(&[("PORT", &port), ("BIND_ADDRESS", "127.0.0.1")], None)?;
    console.field(
        "pulled",
        "skopeo copy → OCI layout, umoci unpack → runtime bundle",
    );
    let id = format!("cnb-demo-{}-web", std::process::id());
    let container = bundle.start(&id, &work.join("container.log"))?;
    console.field(
        "container",
        &format!(
            "runc {} as {}, host network, PORT={port} BIND_ADDRESS=127.0.0.1",
            container.id(),
            bundle.user()?
        ),
    );
    let port = port.parse().map_err(|_| "bad port".to_owned())?;
    let index = container.wait_for_http(port, "/", HTTP_TIMEOUT)?;
    let status = container.wait_for_http(port, "/status.txt", HTTP_TIMEOUT)?;
    for line in container.log().lines() {
        console.tool(line);
    }
    let mut bodies = Vec::new();
    for (path, response) in [("/", index), ("/status.txt", status)] {
        console.field(&format!("GET {path}"), &response.status.to_string());
        let body = String::from_utf8_lossy(&response.body).into_owned();
        for line in body.lines() {
            console.highlight(&format!("  {line}"));
        }
        if response.status != 200 {
            return Err(format!("GET {path} answered {}", response.status));
        }
        bodies.push(body);
    }
    container.stop()?;
    console.field("container", "stopped and deleted");
    let status_txt = bodies.pop().unwrap_or_default();
    let index_html = bodies.pop().unwrap_or_default();
    if !index_html.contains(APP_TEXT) {
        return Err(format!(
            "GET / did not answer the app's page: {index_html:?}"
        ));
    }
    Ok((index_html, status_txt))
}

/// Rebuilds `app` on itself as previous image, and shows what the registry received.
fn rebuild(
    registry: &Registry,
    tree: &mut BuilderTree,
    app: &str,
    run_image: &str,
    console: &Console,
) -> Result<Rebuild, String> {
    registry.proxy.clear();
    let created: Created = create(tree, app, run_image, Some(app), console)?;
    let traffic = Traffic::of(&registry.proxy.requests());
    let image = AppImage::inspect(app)?;
    show_layers(console, &image, &traffic);
    let (uploaded, reused): (Vec<_>, Vec<_>) = image
        .layers
        .iter()
        .partition(|layer| traffic.uploaded.contains(&layer.digest));
    let names = |layers: Vec<&crate::image::Layer>| -> Vec<String> {
        layers.into_iter().map(|layer| layer.name.clone()).collect()
    };
    let rebuild = Rebuild {
        digest: created.digest()?,
        uploaded_layers: names(uploaded),
        reused_layers: names(reused),
        uploaded_config: traffic.uploaded.contains(&image.config_digest),
        blob_bytes: traffic.upload_bytes,
        manifests: traffic.manifests,
    };
    console.highlight(&format!(
        "{} of {} layers uploaded{}; {} reused; image config {}; digest {}",
        rebuild.uploaded_layers.len(),
        image.layers.len(),
        if rebuild.uploaded_layers.is_empty() {
            String::new()
        } else {
            format!(" ({})", rebuild.uploaded_layers.join(", "))
        },
        rebuild.reused_layers.len(),
        if rebuild.uploaded_config {
            "uploaded"
        } else {
            "unchanged"
        },
        short(&rebuild.digest)
    ));
    Ok(rebuild)
}

/// Pushes run image v2, rebases the app onto it, and runs the `hello` process of the result.
fn rebase_onto_v2(
    registry: &Registry,
    tree: &BuilderTree,
    app: &str,
    console: &Console,
) -> Result<Rebase, String> {
    let run_v2 = registry.push_run_image("2", console)?;
    let before = AppImage::inspect(app)?;
    let old_digest = skopeo_digest(app)?;
    let new_digest = rebase(tree, app, &run_v2, console)?;
    let after = AppImage::inspect(app)?;
    console.field(
        "run image before",
        &format!(
            "{}  top layer {}",
            before.run_image_reference,
            short(&before.run_image_top_layer)
        ),
    );
    console.field(
        "run image after",
        &format!(
            "{}  top layer {}",
            after.run_image_reference,
            short(&after.run_image_top_layer)
        ),
    );
    console.field(
        "app image",
        &format!("{} → {}", short(&old_digest), short(&new_digest)),
    );
    if after.run_image_top_layer == before.run_image_top_layer {
        return Err("the run image's top layer did not change".to_owned());
    }
    let work = tree.root().join("run-hello");
    fs::create_dir(&work).map_err(|err| format!("mkdir {}: {err}", work.display()))?;
    let bundle = Bundle::pull(app, &work)?;
    bundle.configure(&[], Some(&["/cnb/process/hello"]))?;
    let id = format!("cnb-demo-{}-hello", std::process::id());
    let hello_output = bundle.run(&id)?;
    console.field("runc run", "/cnb/process/hello in the rebased image:");
    for line in hello_output.lines() {
        console.highlight(&format!("  {line}"));
    }
    Ok(Rebase {
        old_digest,
        new_digest,
        old_top_layer: before.run_image_top_layer,
        new_top_layer: after.run_image_top_layer,
        hello_output,
    })
}

fn skopeo_digest(reference: &str) -> Result<String, String> {
    run_quiet(
        Command::new("skopeo")
            .args(["inspect", "--tls-verify=false", "--format", "{{.Digest}}"])
            .arg(format!("docker://{reference}")),
    )
    .map(|digest| digest.trim().to_owned())
}

/// Deletes any container of this demo that is still there (none, unless a guard failed), and
/// says how many there were.
fn containers_left() -> Result<usize, String> {
    let prefix = format!("cnb-demo-{}-", std::process::id());
    let listed = run_quiet(Command::new("runc").args(["list", "-q"]))?;
    let ours: Vec<&str> = listed
        .lines()
        .filter(|id| id.starts_with(&prefix))
        .collect();
    for id in &ours {
        run_quiet(Command::new("runc").args(["delete", "--force", id]))?;
    }
    Ok(ours.len())
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|err| format!("no free port on 127.0.0.1: {err}"))
}
