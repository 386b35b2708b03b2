//! Every class of scenario mistake gets an error naming the file, the line and the field.

use expect_test::{expect, Expect};

use bcfsim::scenario::{self, Override};

const VALID: &str = r#"[simulation]
name = "errors"
horizon_days = 100
replications = 2

[[source]]
id = "in"
rate_per_day = 2.0
to = "ward"

[[service]]
id = "ward"
capacity = 3
duration = { dist = "exponential", mean = 1.0 }
routes = [{ to = "home", p = 0.6 }, { to = "rehab", p = 0.4 }]

[[service]]
id = "rehab"
capacity = 2
duration = { dist = "lognormal", mean = 10.0, sd = 4.0 }
routes = [{ to = "home", p = 1.0 }]

[[exit]]
id = "home"
"#;

/// Replaces `from` by `to` in the valid scenario (which must contain it), loads it with the
/// overrides, and compares the error message with `expect`.
fn check(from: &str, to: &str, overrides: &[&str], expect: Expect) {
    assert!(VALID.contains(from), "the valid scenario has no `{from}`");
    let text = VALID.replacen(from, to, 1);
    let overrides: Vec<Override> = overrides.iter().map(|o| o.parse().unwrap()).collect();
    match scenario::load_text("errors.toml", &text, &overrides) {
        Ok(_) => panic!("scenario with `{to}` for `{from}` was accepted"),
        Err(error) => expect.assert_eq(&error.to_string()),
    }
}

#[test]
fn the_valid_scenario_is_valid() {
    scenario::load_text("errors.toml", VALID, &[]).unwrap();
}

#[test]
fn unknown_field() {
    check("capacity = 3", "capacity = 3\ncapacty = 4", &[], expect!["errors.toml:14: service.ward.capacty: unknown field `capacty`, expected one of `id`, `capacity`, `enabled`, `bypass`, `duration`, `duration_by_cohort`, `discipline`, `priority`, `queue_limit`, `max_wait`, `on_timeout`, `on_full`, `routes`, `schedule`, `leave_hours`, `admission_hours`, `pool`, `workload`, `workload_by_cohort`, `tags`"]);
}

#[test]
fn unknown_id_in_a_route() {
    check(
        r#"{ to = "rehab", p = 0.4 }"#,
        r#"{ to = "rehabb", p = 0.4 }"#,
        &[],
        expect!["errors.toml:15: service.ward.routes.rehabb.to: there is no service or exit with the id `rehabb`"],
    );
}

#[test]
fn route_probabilities_not_summing_to_one() {
    check(
        "p = 0.4",
        "p = 0.399",
        &[],
        expect!["errors.toml:15: service.ward.routes: probabilities of the routes sum to 0.999, not 1"],
    );
    check(
        "p = 0.4",
        "p = 0.6",
        &[],
        expect!["errors.toml:15: service.ward.routes: probabilities of the routes sum to 1.2, not 1"],
    );
}

#[test]
fn negative_and_nan_parameters() {
    check(
        "mean = 10.0, sd = 4.0",
        "mean = 10.0, sd = -4.0",
        &[],
        expect!["errors.toml:20: service.rehab.duration.sd: must be a finite number at least 0, not -4"],
    );
    check(
        "rate_per_day = 2.0",
        "rate_per_day = nan",
        &[],
        expect!["errors.toml:8: source.in.rate_per_day: must be a finite number at least 0, not NaN"],
    );
    check(
        "horizon_days = 100",
        "horizon_days = inf",
        &[],
        expect!["errors.toml:3: simulation.horizon_days: must be a finite number above 0, not inf"],
    );
    check(
        "capacity = 3",
        "capacity = -3",
        &[],
        expect![[
            r#"errors.toml:13: service.ward.capacity: invalid value: integer `-3`, expected a whole number of places from 0 to 4294967295, "unlimited", or { staff = "id" }"#
        ]],
    );
}

#[test]
fn route_cycle_with_no_exit() {
    check(
        r#"routes = [{ to = "home", p = 0.6 }, { to = "rehab", p = 0.4 }]"#,
        r#"routes = [{ to = "rehab", p = 1.0 }]"#,
        &["service.rehab.routes.home.to=ward"],
        expect![[r#"
            errors.toml:11: service.ward: patients reaching `ward` can never leave: its routes only lead round in a cycle with no exit
            errors.toml:17: service.rehab: patients reaching `rehab` can never leave: its routes only lead round in a cycle with no exit"#]],
    );
}

#[test]
fn missing_sections_and_fields() {
    check(
        "[simulation]\nname = \"errors\"\nhorizon_days = 100\nreplications = 2\n",
        "",
        &[],
        expect!["errors.toml:1: the section `simulation` is missing"],
    );
    check(
        "[[exit]]\nid = \"home\"\n",
        "",
        &[],
        expect![[r#"
        errors.toml: the scenario has no [[exit]]: nobody could leave
        errors.toml:15: service.ward.routes.home.to: there is no service or exit with the id `home`
        errors.toml:21: service.rehab.routes.home.to: there is no service or exit with the id `home`"#]],
    );
    check(
        "duration = { dist = \"exponential\", mean = 1.0 }\n",
        "",
        &[],
        expect!["errors.toml:11: service.ward: needs `duration`: patients reach it, and neither `duration_by_cohort` nor all their routes give them one"],
    );
}

#[test]
fn wrong_types_and_syntax() {
    check(
        "capacity = 3",
        "capacity = \"three\"",
        &[],
        expect![[
            r#"errors.toml:13: service.ward.capacity: invalid value: string "three", expected a whole number of places from 0 to 4294967295, "unlimited", or { staff = "id" }"#
        ]],
    );
    check("dist = \"exponential\"", "dist = \"expo\"", &[], expect!["errors.toml:14: service.ward.duration.dist: unknown variant `expo`, expected one of `fixed`, `exponential`, `uniform`, `triangular`, `lognormal`, `gamma`, `weibull`, `erlang`, `empirical`"]);
    check(
        "capacity = 3",
        "capacity = [3",
        &[],
        expect!["errors.toml:14: not valid TOML: invalid array: expected `]`"],
    );
    check(
        "mean = 10.0, sd = 4.0",
        "median = 10.0, sd = 4.0",
        &[],
        expect![
            "errors.toml:20: service.rehab.duration: a lognormal needs either `mean` and `sd`, or `median` and `p95`"
        ],
    );
}

#[test]
fn duplicate_and_malformed_ids() {
    check(
        r#"id = "rehab""#,
        r#"id = "ward""#,
        &[],
        expect![[r#"
        errors.toml:18: service.ward.id: the id `ward` is used by another service or exit
        errors.toml:15: service.ward.routes.rehab.to: there is no service or exit with the id `rehab`"#]],
    );
    check(
        r#"id = "rehab""#,
        r#"id = "réadaptation""#,
        &[],
        expect![[r#"
        errors.toml:18: service.réadaptation.id: must be made of ASCII letters, digits, `_` and `-` only
        errors.toml:15: service.ward.routes.rehab.to: there is no service or exit with the id `rehab`"#]],
    );
}

#[test]
fn unreachable_services_and_endless_on_full_chains() {
    check(r#"{ to = "home", p = 0.6 }, { to = "rehab", p = 0.4 }"#, r#"{ to = "home", p = 1.0 }"#, &[], expect!["errors.toml:17: service.rehab: no patient can reach `rehab`: no source, route, on_full or on_timeout leads to it"]);
    check(
        "capacity = 2\n",
        "capacity = 2\nqueue_limit = 0\non_full = \"ward\"\n",
        &["service.ward.queue_limit=0", "service.ward.on_full=rehab"],
        expect![[r#"
            errors.toml:17: service.ward.on_full: the chain of `on_full` comes back to a service already in it, so a patient finding them all full would never settle
            errors.toml:23: service.rehab.on_full: the chain of `on_full` comes back to a service already in it, so a patient finding them all full would never settle"#]],
    );
}

#[test]
fn bad_overrides() {
    check(
        "capacity = 3",
        "capacity = 3",
        &["service.icu.capacity=4"],
        expect!["errors.toml: --set service.icu.capacity=4: no `service` has the id `icu`"],
    );
    check(
        "capacity = 3",
        "capacity = 3",
        &["service.ward.capacity=-1"],
        expect![[
            r#"errors.toml:13: service.ward.capacity: invalid value: integer `-1`, expected a whole number of places from 0 to 4294967295, "unlimited", or { staff = "id" }"#
        ]],
    );
    check(
        "capacity = 3",
        "capacity = 3",
        &["simulation.warmup_days=100"],
        expect!["errors.toml:5: simulation.warmup_days: the warm-up (100 days) must end before the horizon (100 days)"],
    );
}

#[test]
fn files_that_are_not_scenarios() {
    let dir = tempfile::tempdir().unwrap();
    let load = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        scenario::load_file(&path, &[])
            .unwrap_err()
            .to_string()
            .replace(&dir.path().display().to_string(), "DIR")
    };
    expect!["DIR/empty.toml:1: the section `simulation` is missing"].assert_eq(&load("empty.toml", b""));
    expect!["DIR/binary.toml: is not a text file (it is not valid UTF-8); a scenario is a TOML text file"]
        .assert_eq(&load("binary.toml", &[0x7f, b'E', b'L', b'F', 0, 0, 0xff, 0xfe]));
    expect!["DIR/huge.toml: is 1048577 bytes; scenario files may be at most 1048576 bytes"]
        .assert_eq(&load("huge.toml", &vec![b'#'; scenario::MAX_FILE_BYTES as usize + 1]));
    expect!["DIR/missing.toml: cannot read the file: No such file or directory (os error 2)"].assert_eq(
        &scenario::load_file(&dir.path().join("missing.toml"), &[])
            .unwrap_err()
            .to_string()
            .replace(&dir.path().display().to_string(), "DIR"),
    );
}
