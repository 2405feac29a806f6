//! The registry store resolves both kinds of index (OCI image index, Docker manifest list),
//! whatever the order of their entries, to the manifest of the wanted platform, and names the
//! platforms on offer when none matches (the OCI layout store: `crates/cnb-layout` tests).

use cnb_image::{ImageStore, MediaType, Platform, StoreError};
use cnb_registry::Environment;
use cnb_testkit::{Arch, IndexKind, RegistryFixture, push_index};

use super::fixture::{read, run_image_layouts};
use crate::image_support::{reference, registry_store};

#[test]
fn the_registry_store_picks_each_platform_of_an_oci_index_or_docker_list_in_any_order() {
    let registry = RegistryFixture::start().expect("registry");
    let [amd, arm] = run_image_layouts("release 1");
    let store = registry_store(&Environment::default(), &[]);
    for (kind, images, tag) in [
        (IndexKind::Oci, [&amd, &arm], "oci-amd64-first"),
        (IndexKind::Oci, [&arm, &amd], "oci-arm64-first"),
        (IndexKind::DockerList, [&amd, &arm], "docker-amd64-first"),
        (IndexKind::DockerList, [&arm, &amd], "docker-arm64-first"),
    ] {
        let pushed =
            push_index(&registry, &format!("test/run:{tag}"), &images, kind).expect("index pushed");
        for arch in [Arch::Amd64, Arch::Arm64] {
            let image = read(&pushed.reference, arch);
            assert_eq!(
                image.digest().to_string(),
                pushed.manifest_for(&arch.platform()),
                "{tag}: {arch:?}"
            );
            assert_eq!(image.config.architecture, arch.name(), "{tag}");
            assert_eq!(image.config.variant.as_deref(), arch.variant(), "{tag}");
            let manifest_type = match kind {
                IndexKind::Oci => MediaType::OciManifest,
                IndexKind::DockerList => MediaType::DockerManifest,
            };
            assert_eq!(
                image.manifest.manifest.content_type(),
                manifest_type,
                "{tag}"
            );
            assert_eq!(
                image.manifest.index.map(|digest| digest.to_string()),
                Some(pushed.digest.clone()),
                "{tag}"
            );
        }
        let err = store
            .read_image(
                &reference(&pushed.reference),
                &Platform::new("linux", "s390x"),
            )
            .expect_err("no s390x image");
        let offered: Vec<String> = pushed.manifests.iter().map(|(p, _)| p.clone()).collect();
        assert!(
            matches!(&err, StoreError::NoMatchingPlatform { offered: listed, .. } if **listed == *offered.join(", ")),
            "{tag}: {err}"
        );
        assert!(
            err.to_string().ends_with(&format!(
                "has no image for platform linux/s390x (it offers {})",
                offered.join(", ")
            )),
            "{err}"
        );
    }
}
