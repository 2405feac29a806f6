//! The extender phase (platform.md › extender; `image_extension.md`), black-box: the installed
//! `extender` as root in runc containers of the testkit's busybox image, with the volumes pack
//! binds. `-kind build` changes its own container and builds there; `-kind run` snapshots what
//! the run.Dockerfiles change into `<layers>/extended/run/<digest>`.

mod fixture;

use std::path::Path;

use cnb_image::ImageStore as _;
use cnb_registry::Environment;
use cnb_testkit::{Finished, Lifecycle, RegistryFixture, RunImage};
use fixture::{UID, World};

use crate::container_support::can_run_containers;
use crate::image_support::{reference, registry_store};
use crate::package::gzip_entries;
use crate::registry_store::amd64;

/// Installs `/opt/ext/tool` as root, puts it on `PATH`, gives the user back.
const TOOL: &str = "ARG base_image\nFROM ${base_image}\nUSER root\nRUN mkdir -p /opt/ext && printf '#!/bin/sh\\necho tool says hi\\n' > /opt/ext/tool && chmod 0755 /opt/ext/tool\nENV PATH=/opt/ext:${PATH}\nARG user_id\nARG group_id\nUSER ${user_id}:${group_id}\n";

/// Calls the tool and keeps what it says in a launch layer.
const USES_TOOL: &str = "#!/bin/sh\nset -eu\necho \"building as $(id -u) with PATH=$PATH\"\nmkdir -p \"$1/tool-output\"\ntool > \"$1/tool-output/said.txt\"\nprintf '[types]\\nlaunch = true\\n' > \"$1/tool-output.toml\"\n";

/// Adds `/opt/ext/marker` and writes where snapshots never look.
const MARKER: &str = "ARG base_image\nFROM ${base_image}\nUSER root\nRUN mkdir -p /opt/ext && echo extended > /opt/ext/marker && echo ignored > /workspace/not-in-a-layer && echo ignored > /layers/not-in-a-layer\nARG user_id\nUSER ${user_id}\n";

/// Removes a file of the run image.
const REMOVE: &str = "ARG base_image\nFROM ${base_image}\nUSER root\nRUN rm /etc/os-release\nUSER 1000:1000\nLABEL io.buildpacks.rebasable=true\n";

#[test]
fn build_kind_installs_a_tool_that_a_later_buildpack_calls_and_the_app_image_has_its_output() {
    if !can_run_containers() {
        return;
    }
    let registry = RegistryFixture::start().expect("registry");
    let run = RunImage::default()
        .push(&registry, "test/run:latest")
        .expect("run image");
    let world = World::new();
    world.dockerfile("samples/tool", "build", TOOL);
    world.buildpack("samples/uses-tool", USES_TOOL);
    world.group(&["samples/tool"], &["samples/uses-tool"]);
    world.analyzed(Some(&run.digest_reference()));
    world.write(
        "layers/run.toml",
        &format!("[[images]]\nimage = \"{}\"\n", run.reference),
    );
    let container = world.container("cnb-extend-build");
    let finished = world.extend(&container, &["-log-level", "debug"]);
    assert_eq!(finished.code, Some(0), "{finished}");
    assert!(
        finished
            .stdout
            .contains(&format!("building as {UID} with PATH=/opt/ext:")),
        "{finished}"
    );
    assert!(container.rootfs().join("opt/ext/tool").is_file());

    let app = registry.reference("test/app:latest");
    let lifecycle = Lifecycle::installed();
    let exported = Finished::run(
        lifecycle
            .command("exporter")
            .env("CNB_PLATFORM_API", "0.15")
            .arg(format!("-layers={}", world.path("layers").display()))
            .arg(format!("-app={}", world.path("workspace").display()))
            .arg(format!("-run={}", world.path("layers/run.toml").display()))
            .arg(format!(
                "-launcher={}",
                lifecycle.path("launcher").display()
            ))
            .arg(format!("-uid={UID}"))
            .arg(format!("-gid={UID}"))
            .arg(&app),
    );
    assert_eq!(exported.code, Some(0), "{exported}");
    let store = registry_store(&Environment::default(), &[]);
    let image = store
        .read_image(&reference(&app), &amd64())
        .expect("registry answers")
        .expect("app image");
    let said: Vec<String> = image
        .manifest
        .manifest
        .layers
        .iter()
        .flat_map(|layer| {
            let blob = store
                .read_blob(&reference(&app), &layer.digest)
                .expect("layer blob");
            gzip_entries(blob.as_slice())
        })
        .filter(|entry| entry.0.ends_with("samples_uses-tool/tool-output/said.txt"))
        .map(|entry| String::from_utf8_lossy(&entry.6).into_owned())
        .collect();
    assert_eq!(said, ["tool says hi\n"]);
}

#[test]
fn run_kind_layers_hold_exactly_what_each_run_changed_and_the_same_inputs_give_the_same_digest() {
    if !can_run_containers() {
        return;
    }
    let world = World::new();
    world.dockerfile("samples/marker", "run", MARKER);
    world.dockerfile("samples/remove", "run", REMOVE);
    world.group(&["samples/marker", "samples/remove"], &[]);
    world.analyzed(None);
    let first = world.extend(&world.container("cnb-extend-run"), &["-kind", "run"]);
    assert_eq!(first.code, Some(0), "{first}");
    let images = world.extended_images();
    assert_eq!(images.len(), 1, "{images:?}");
    let layout = &images[0];
    let manifest = read_json(&layout.join("index.json"));
    let digest = manifest["manifests"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_owned();
    assert_eq!(
        layout.file_name().expect("name").to_string_lossy(),
        digest.trim_start_matches("sha256:")
    );
    let manifest = read_json(&blob(layout, &digest));
    let layers = manifest["layers"].as_array().expect("layers");
    let base = read_json(&blob(
        &world
            .path("kaniko/cache/base")
            .join(world.base_digest.trim_start_matches("sha256:")),
        &world.base_digest,
    ));
    let base_layers = base["layers"].as_array().expect("base layers").len();
    assert_eq!(layers.len(), base_layers + 2);
    let names = |index: usize| -> Vec<(String, String)> {
        let digest = layers[index]["digest"].as_str().expect("layer digest");
        let bytes = std::fs::read(blob(layout, digest)).expect("new layer blob present");
        gzip_entries(bytes.as_slice())
            .into_iter()
            .map(|entry| (entry.0, String::from_utf8_lossy(&entry.6).into_owned()))
            .collect()
    };
    assert_eq!(
        names(base_layers),
        [
            ("opt".to_owned(), String::new()),
            ("opt/ext".to_owned(), String::new()),
            ("opt/ext/marker".to_owned(), "extended\n".to_owned()),
        ]
    );
    assert_eq!(
        names(base_layers + 1),
        [
            ("etc".to_owned(), String::new()),
            ("etc/.wh.os-release".to_owned(), String::new()),
        ]
    );
    let base_layer = layers[0]["digest"].as_str().expect("base layer");
    assert!(!blob(layout, base_layer).exists(), "base layers stay out");
    let config = read_json(&blob(
        layout,
        manifest["config"]["digest"].as_str().expect("config"),
    ));
    assert_eq!(config["config"]["User"], "1000:1000");
    assert_eq!(
        config["config"]["Labels"]["io.buildpacks.rebasable"],
        "true"
    );
    let history: Vec<&str> = config["history"]
        .as_array()
        .expect("history")
        .iter()
        .skip(base_layers)
        .map(|entry| entry["created_by"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        history,
        [
            "Layer: 'RUN mkdir -p /opt/ext && echo extended > /opt/ext/marker && echo ignored > /workspace/not-in-a-layer && echo ignored > /layers/not-in-a-layer', Created by extension: samples/marker",
            "Layer: 'RUN rm /etc/os-release', Created by extension: samples/remove",
        ]
    );

    let second = world.extend(&world.container("cnb-extend-run-again"), &["-kind", "run"]);
    assert_eq!(second.code, Some(0), "{second}");
    assert!(
        second
            .stdout
            .contains("Using the cached layer of 'RUN rm /etc/os-release'"),
        "{second}"
    );
    let again = world.extended_images();
    assert_eq!(again, images, "the same inputs give the same digest");
}

#[test]
fn a_failing_run_exits_102_naming_extension_dockerfile_and_instruction_and_nothing_is_built() {
    if !can_run_containers() {
        return;
    }
    let world = World::new();
    let path = world.dockerfile(
        "samples/fails",
        "build",
        "ARG base_image\nFROM ${base_image}\nUSER root\nRUN echo trying && exit 7\n",
    );
    world.buildpack("samples/uses-tool", USES_TOOL);
    world.group(&["samples/fails"], &["samples/uses-tool"]);
    world.analyzed(None);
    let finished = world.extend(&world.container("cnb-extend-fail"), &[]);
    assert_eq!(finished.code, Some(102), "{finished}");
    let errors: Vec<&str> = finished
        .stderr
        .lines()
        .filter(|l| l.starts_with("ERROR: "))
        .collect();
    assert_eq!(
        errors,
        [format!(
            "ERROR: failed to extend build image: extension 'samples/fails': {} line 4: RUN echo trying && exit 7: the command failed (exit status: 7)",
            path.display()
        )]
    );
    assert!(
        !world.path("layers/config/metadata.toml").exists(),
        "the build did not run"
    );
}

#[test]
fn a_run_image_left_as_root_exits_102_and_writes_nothing() {
    if !can_run_containers() {
        return;
    }
    let world = World::new();
    world.dockerfile(
        "samples/root",
        "run",
        "ARG base_image\nFROM ${base_image}\nUSER root\nRUN touch /root-was-here\n",
    );
    world.group(&["samples/root"], &[]);
    world.analyzed(None);
    let finished = world.extend(&world.container("cnb-extend-root"), &["-kind", "run"]);
    assert_eq!(finished.code, Some(102), "{finished}");
    assert!(
        finished
            .stderr
            .contains("ERROR: failed to extend run image: the final user ID is 0 (root)"),
        "{finished}"
    );
    assert!(world.extended_images().is_empty());
}

#[test]
fn an_invalid_dockerfile_and_a_missing_base_image_exit_102() {
    if !can_run_containers() {
        return;
    }
    let world = World::new();
    let path = world.dockerfile(
        "samples/bad",
        "run",
        "ARG base_image\nFROM ${base_image}\nRUN true\nFROM ${base_image}\n",
    );
    world.group(&["samples/bad"], &[]);
    world.analyzed(None);
    let invalid = world.extend(&world.container("cnb-extend-invalid"), &["-kind", "run"]);
    assert_eq!(invalid.code, Some(102), "{invalid}");
    assert!(
        invalid.stderr.contains(&format!(
            "ERROR: failed to extend run image: extension 'samples/bad': parsing {}: run.Dockerfile line 4: a second FROM; multi-stage builds are not permitted",
            path.display()
        )),
        "{invalid}"
    );

    world.dockerfile("samples/bad", "run", MARKER);
    std::fs::remove_dir_all(world.path("kaniko/cache/base")).expect("remove base");
    let missing = world.extend(&world.container("cnb-extend-nobase"), &["-kind", "run"]);
    assert_eq!(missing.code, Some(102), "{missing}");
    assert!(
        missing
            .stderr
            .contains("reading the base image saved by the restorer at /kaniko/cache/base/"),
        "{missing}"
    );
    assert!(world.extended_images().is_empty());
}

#[test]
fn an_unknown_kind_exits_3() {
    let finished = Finished::run(
        Lifecycle::installed()
            .command("extender")
            .env("CNB_PLATFORM_API", "0.15")
            .args(["-kind", "sideways"]),
    );
    assert_eq!(finished.code, Some(3), "{finished}");
    assert_eq!(
        finished.stderr.trim(),
        "ERROR: failed to extend: -kind must be 'build' or 'run', not 'sideways'"
    );
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|err| panic!("{}: {err}", path.display())),
    )
    .expect("JSON")
}

fn blob(layout: &Path, digest: &str) -> std::path::PathBuf {
    layout
        .join("blobs/sha256")
        .join(digest.trim_start_matches("sha256:"))
}
