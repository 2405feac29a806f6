//! The lifecycle's own SBOMs in the app image (Platform API 0.11, as Go): the launcher's go into
//! the image's SBOM layer under `buildpacksio_lifecycle/launcher/` — from `/cnb/lifecycle` as
//! `sbom.<ext>`, or from the directory `-launcher-sbom` names under their own names — and the
//! lifecycle's stay in `<layers>/sbom/build/buildpacksio_lifecycle/` for the platform. Read back
//! from the pushed image, each names the crates the launcher links (checked against cargo, see
//! `crate::sbom`), and none that only the lifecycle links.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::io::Read;

use cnb_testkit::Lifecycle;

use super::fixture::World;
use crate::platforms::support::{Container, can_replay};
use crate::sbom::documents::{self, EXTENSIONS};
use crate::sbom::expected::Workspace;
use crate::sbom::{assert_names_what_it_links, installed_sbom, installed_target, lifecycle_only};

/// The regular files of `image`'s SBOM layer, by their path under `<layers>/sbom/launch/`.
fn sbom_layer_files(world: &World, image: &str) -> BTreeMap<String, Vec<u8>> {
    let label = world.label(image, "io.buildpacks.lifecycle.metadata");
    let diff_id = label["sbom"]["sha"]
        .as_str()
        .expect("the label names an SBOM layer");
    let mut archive = world.layer_tar(image, diff_id);
    let mut files = BTreeMap::new();
    for entry in archive.entries().expect("a tar") {
        let mut entry = entry.expect("an entry");
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let (_, under) = path
            .split_once("/sbom/launch/")
            .unwrap_or_else(|| panic!("{path} is not under <layers>/sbom/launch"));
        let under = under.to_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("entry data");
        files.insert(under, data);
    }
    files
}

#[test]
fn a_launcher_sbom_dir_ships_its_sboms_naming_the_crates_the_launcher_links() {
    let world = World::start();
    let dir = world.dir.path().join("launcher-sboms");
    fs::create_dir(&dir).expect("mkdir");
    for extension in EXTENSIONS {
        let name = format!("launcher.sbom.{extension}");
        fs::copy(installed_sbom("launcher", extension), dir.join(&name)).expect("copy");
    }
    fs::write(dir.join("README.txt"), "not an SBOM\n").expect("write");
    let app = world.name("test/app:latest");
    world.export(&app, &[&format!("-launcher-sbom={}", dir.display())]);

    let files = sbom_layer_files(&world, &app);
    let workspace = Workspace::load(&installed_target());
    let only = lifecycle_only(&workspace);
    for extension in EXTENSIONS {
        let path = format!("buildpacksio_lifecycle/launcher/launcher.sbom.{extension}");
        let bytes = files
            .get(&path)
            .unwrap_or_else(|| panic!("no {path} in {:?}", files.keys()));
        let named = documents::read(extension, bytes);
        assert_names_what_it_links(&named, "launcher", &workspace);
        assert!(named.crates.is_disjoint(&only), "{path}: {only:?}");
    }
    let launcher: Vec<&String> = files
        .keys()
        .filter(|path| path.starts_with("buildpacksio_lifecycle/"))
        .collect();
    assert_eq!(launcher.len(), 3, "the SBOM files only: {launcher:?}");
    assert!(
        files.contains_key("test_first/sbom.cdx.json"),
        "the buildpack's SBOM is still there: {:?}",
        files.keys()
    );
}

/// The exporter run as platforms run it, from `/cnb/lifecycle` (the installed lifecycle bound
/// there in a private mount namespace, the world's dirs at their own paths), at `api`, with
/// `-launcher-sbom` left at its default.
fn export_from_cnb_lifecycle(world: &World, api: &str, image: &str) {
    let dir = world.dir.path();
    let mut argv: Vec<String> = vec!["/cnb/lifecycle/exporter".to_owned()];
    argv.extend(
        world
            .exporter(api)
            .get_args()
            .map(OsStr::to_string_lossy)
            .filter(|arg| !arg.starts_with("-launcher="))
            .map(std::borrow::Cow::into_owned),
    );
    argv.push(image.to_owned());
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let finished = Container::new((0, 0))
        .bind_ro(Lifecycle::installed().dir(), "/cnb/lifecycle")
        .bind(dir, &dir.to_string_lossy())
        .env("CNB_PLATFORM_API", api)
        .run(&argv);
    assert_eq!(finished.code, Some(0), "{finished}");
}

#[test]
fn from_cnb_lifecycle_the_launchers_sboms_ship_and_the_lifecycles_stay_in_layers() {
    if !can_replay() {
        return;
    }
    let world = World::start();
    let app = world.name("test/app:latest");
    export_from_cnb_lifecycle(&world, "0.15", &app);
    let files = sbom_layer_files(&world, &app);
    let build = world.layers().join("sbom/build/buildpacksio_lifecycle");
    for extension in EXTENSIONS {
        let shipped = format!("buildpacksio_lifecycle/launcher/sbom.{extension}");
        assert_eq!(
            files.get(&shipped),
            fs::read(installed_sbom("launcher", extension))
                .ok()
                .as_ref(),
            "{shipped} is the installed launcher.sbom.{extension}"
        );
        assert_eq!(
            fs::read(build.join(format!("sbom.{extension}"))).ok(),
            fs::read(installed_sbom("lifecycle", extension)).ok(),
            "<layers>/sbom/build/buildpacksio_lifecycle/sbom.{extension}"
        );
    }

    // Before Platform API 0.11 the exporter leaves them out.
    fs::remove_dir_all(world.layers().join("sbom/launch/buildpacksio_lifecycle")).expect("rm");
    fs::remove_dir_all(&build).expect("rm");
    let old = world.name("test/old:latest");
    export_from_cnb_lifecycle(&world, "0.10", &old);
    let files = sbom_layer_files(&world, &old);
    assert!(
        files
            .keys()
            .all(|path| !path.starts_with("buildpacksio_lifecycle")),
        "{:?}",
        files.keys()
    );
    assert!(!build.exists());
}
