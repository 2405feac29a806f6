//! The build environment (buildpack.md › Environment; spec-matrix.md §5.1, §5.4): env files of
//! earlier buildpacks' build layers by suffix, directory and order; the layer path directories;
//! the user's `<platform>/env` with and without `clear-env`; the operator's
//! `<build-config>/env`.

use super::fixture::Fixture;

const BUILD: &str = "[types]\nbuild = true\n";
const BASE_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Buildpacks A and B with two build layers each (`a1`, `a2`, `b1`, `b2`); C records what
/// their env files made.
fn two_buildpacks_two_layers() -> Fixture {
    let fixture = Fixture::new();
    for id in ["A", "B", "C"] {
        fixture.buildpack(id, "1", "0.10", "");
    }
    fixture.group_of(&[("A", "1", "0.10"), ("B", "1", "0.10"), ("C", "1", "0.10")]);
    for (key, layers) in [("A@1", ["a1", "a2"]), ("B@1", ["b1", "b2"])] {
        for layer in layers {
            fixture.output(key, &format!("{layer}.toml"), BUILD);
            fixture.output_dir(key, &format!("{layer}/bin"));
            // every suffix, in env/
            fixture.output(key, &format!("{layer}/env/OVR"), layer);
            fixture.output(key, &format!("{layer}/env/DEF.default"), layer);
            fixture.output(key, &format!("{layer}/env/APP.append"), layer);
            fixture.output(key, &format!("{layer}/env/APP.delim"), ":");
            fixture.output(key, &format!("{layer}/env/PRE.prepend"), layer);
            fixture.output(key, &format!("{layer}/env/PRE.delim"), ":");
            fixture.output(key, &format!("{layer}/env/NODELIM.append"), layer);
        }
    }
    // env/ against env.build/ in one layer
    for (dir, value) in [("env", "env"), ("env.build", "env.build")] {
        fixture.output("A@1", &format!("a1/{dir}/DIR_OVR.override"), value);
        fixture.output("A@1", &format!("a1/{dir}/DIR_DEF.default"), value);
        fixture.output("A@1", &format!("a1/{dir}/DIR_APP.append"), value);
        fixture.output("A@1", &format!("a1/{dir}/DIR_APP.delim"), ":");
        fixture.output("A@1", &format!("a1/{dir}/DIR_PRE.prepend"), value);
        fixture.output("A@1", &format!("a1/{dir}/DIR_PRE.delim"), ":");
    }
    // a .delim file applies only to its own directory
    fixture.output("A@1", "a1/env/SCOPED.append", "a1");
    fixture.output("A@1", "a2/env/SCOPED.delim", ":");
    fixture.output("A@1", "a2/env.build/SCOPED.append", "a2");
    for dir in ["lib", "include", "pkgconfig"] {
        fixture.output_dir("A@1", &format!("a1/{dir}"));
    }
    fixture
}

#[test]
fn suffixes_directories_and_order_across_buildpacks_and_layers() {
    let fixture = two_buildpacks_two_layers();
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    let env = |key: &str, name: &str| fixture.env_of(key, name);

    // A sees nothing of its own layers.
    assert_eq!(env("A@1", "OVR"), None);
    // Override: a later layer, then a later buildpack, wins; env.build/ beats env/.
    assert_eq!(env("B@1", "OVR").as_deref(), Some("a2"));
    assert_eq!(env("C@1", "OVR").as_deref(), Some("b2"));
    assert_eq!(env("C@1", "DIR_OVR").as_deref(), Some("env.build"));
    // Default: the earliest buildpack and layer win; env/ beats env.build/.
    assert_eq!(env("C@1", "DEF").as_deref(), Some("a1"));
    assert_eq!(env("C@1", "DIR_DEF").as_deref(), Some("env"));
    // Append: earlier buildpacks and layers first; env/ before env.build/.
    assert_eq!(env("C@1", "APP").as_deref(), Some("a1:a2:b1:b2"));
    assert_eq!(env("C@1", "DIR_APP").as_deref(), Some("env:env.build"));
    // Prepend: later buildpacks and layers first; env.build/ before env/.
    assert_eq!(env("C@1", "PRE").as_deref(), Some("b2:b1:a2:a1"));
    assert_eq!(env("C@1", "DIR_PRE").as_deref(), Some("env.build:env"));
    // Go: no delimiter without a .delim file.
    assert_eq!(env("C@1", "NODELIM").as_deref(), Some("a1a2b1b2"));
    assert_eq!(env("C@1", "SCOPED").as_deref(), Some("a1a2"));
}

#[test]
fn build_layers_path_directories_are_prepended_in_go_order() {
    let fixture = two_buildpacks_two_layers();
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    let dir = |id: &str, path: &str| fixture.layer_path(id, path).display().to_string();
    // Later buildpacks first; within a buildpack Go prepends layer by layer, so a2 precedes a1
    // (the spec's text asks for ascending; spec-matrix.md §17.10).
    let path = format!(
        "{}:{}:{}:{}:{BASE_PATH}",
        dir("B", "b2/bin"),
        dir("B", "b1/bin"),
        dir("A", "a2/bin"),
        dir("A", "a1/bin")
    );
    assert_eq!(
        fixture.env_of("C@1", "PATH").as_deref(),
        Some(path.as_str())
    );
    assert_eq!(fixture.env_of("A@1", "PATH").as_deref(), Some(BASE_PATH));
    let lib = dir("A", "a1/lib");
    assert_eq!(fixture.env_of("C@1", "LD_LIBRARY_PATH"), Some(lib.clone()));
    assert_eq!(fixture.env_of("C@1", "LIBRARY_PATH"), Some(lib));
    assert_eq!(fixture.env_of("C@1", "CPATH"), Some(dir("A", "a1/include")));
    assert_eq!(
        fixture.env_of("C@1", "PKG_CONFIG_PATH"),
        Some(dir("A", "a1/pkgconfig"))
    );
}

#[test]
fn only_build_layers_feed_later_buildpacks() {
    let fixture = Fixture::new();
    fixture.buildpack("A", "1", "0.10", "");
    fixture.buildpack("B", "1", "0.10", "");
    fixture.group_of(&[("A", "1", "0.10"), ("B", "1", "0.10")]);
    for (layer, toml) in [
        ("launch", "[types]\nlaunch = true\n"),
        ("cache", "[types]\ncache = true\n"),
        ("ignored", "[types]\nlaunch = false\n"),
        ("build", BUILD),
    ] {
        let layer = format!("{layer}-layer");
        fixture.output("A@1", &format!("{layer}.toml"), toml);
        fixture.output_dir("A@1", &format!("{layer}/bin"));
        fixture.output(
            "A@1",
            &format!("{layer}/env/FROM_{}", layer.replace('-', "_")),
            "x",
        );
    }
    fixture.output("A@1", "build-layer/env.launch/LAUNCH_ONLY", "x");
    fixture.output("A@1", "no-toml/env/NO_TOML", "x");
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(
        fixture.env_of("B@1", "FROM_build_layer").as_deref(),
        Some("x")
    );
    for name in [
        "FROM_launch_layer",
        "FROM_cache_layer",
        "FROM_ignored_layer",
        "LAUNCH_ONLY",
        "NO_TOML",
    ] {
        assert_eq!(fixture.env_of("B@1", name), None, "{name}");
    }
    let path = format!(
        "{}:{BASE_PATH}",
        fixture.layer_path("A", "build-layer/bin").display()
    );
    assert_eq!(fixture.env_of("B@1", "PATH"), Some(path));
}

#[test]
fn platform_env_is_literal_prepends_path_vars_and_overrides_the_rest_unless_clear_env() {
    let fixture = Fixture::new();
    fixture.buildpack("A", "1", "0.10", "");
    fixture.buildpack("clear", "1", "0.10", "clear-env = true\n");
    fixture.buildpack("B", "1", "0.10", "");
    fixture.group_of(&[
        ("A", "1", "0.10"),
        ("clear", "1", "0.10"),
        ("B", "1", "0.10"),
    ]);
    fixture.output("A@1", "a.toml", BUILD);
    fixture.output_dir("A@1", "a/bin");
    fixture.output("A@1", "a/env/OVERRIDDEN", "from-layer");
    fixture.platform_env("PLATFORM_VAR", "p");
    fixture.platform_env("OVERRIDDEN", "from-platform");
    fixture.platform_env("PATH", "/platform/bin");
    fixture.platform_env("SUFFIXED.append", "literal");
    let probe = "env | grep -E '^SUFFIXED' | sort\n";
    for key in ["A@1", "clear@1"] {
        fixture.exec_of(key, probe);
    }
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(0), "{out}");

    assert_eq!(fixture.env_of("A@1", "PLATFORM_VAR").as_deref(), Some("p"));
    let path = format!("/platform/bin:{BASE_PATH}");
    assert_eq!(fixture.env_of("A@1", "PATH"), Some(path));
    assert_eq!(fixture.record("A@1", "exec"), "SUFFIXED.append=literal\n");
    // The platform's value is applied after the buildpacks' env.
    assert_eq!(
        fixture.env_of("B@1", "OVERRIDDEN").as_deref(),
        Some("from-platform")
    );
    let layer_bin = fixture.layer_path("A", "a/bin");
    let path = format!("/platform/bin:{}:{BASE_PATH}", layer_bin.display());
    assert_eq!(fixture.env_of("B@1", "PATH"), Some(path));
    // clear-env: none of the user's env, the buildpacks' env stays.
    assert_eq!(fixture.env_of("clear@1", "PLATFORM_VAR"), None);
    assert_eq!(
        fixture.env_of("clear@1", "OVERRIDDEN").as_deref(),
        Some("from-layer")
    );
    let path = format!("{}:{BASE_PATH}", layer_bin.display());
    assert_eq!(fixture.env_of("clear@1", "PATH"), Some(path));
    assert_eq!(fixture.record("clear@1", "exec"), "\n");
}

#[test]
fn build_config_env_applies_after_the_platform_env_with_suffixes_even_with_clear_env() {
    let fixture = Fixture::new();
    fixture.buildpack("A", "1", "0.10", "");
    fixture.buildpack("clear", "1", "0.10", "clear-env = true\n");
    fixture.group_of(&[("A", "1", "0.10"), ("clear", "1", "0.10")]);
    fixture.platform_env("VAR_CHANGE", "value-platform-change");
    fixture.platform_env("KEPT", "from-platform");
    fixture.platform_env("FORCED", "from-platform");
    fixture.build_config_env("VAR_CHANGE.prepend", "value-prepend");
    fixture.build_config_env("VAR_CHANGE.append", "value-append");
    fixture.build_config_env("VAR_CHANGE.delim", ":");
    fixture.build_config_env("KEPT", "from-build-config");
    fixture.build_config_env("FORCED.override", "from-build-config");
    fixture.build_config_env("OPERATOR", "operator");
    let out = fixture.run("0.15", &[]);
    assert_eq!(out.code, Some(0), "{out}");
    let env = |key: &str, name: &str| fixture.env_of(key, name);
    assert_eq!(
        env("A@1", "VAR_CHANGE").as_deref(),
        Some("value-prepend:value-platform-change:value-append")
    );
    assert_eq!(
        env("A@1", "KEPT").as_deref(),
        Some("from-platform"),
        "no suffix = default"
    );
    assert_eq!(env("A@1", "FORCED").as_deref(), Some("from-build-config"));
    assert_eq!(env("A@1", "OPERATOR").as_deref(), Some("operator"));
    assert_eq!(env("clear@1", "OPERATOR").as_deref(), Some("operator"));
    assert_eq!(env("clear@1", "KEPT").as_deref(), Some("from-build-config"));
    assert_eq!(
        env("clear@1", "VAR_CHANGE").as_deref(),
        Some("value-prepend:value-append")
    );
}
