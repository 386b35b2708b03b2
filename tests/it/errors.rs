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
            errors.toml:11: service.ward: patients reaching `ward` can never leave: its routes lead round `ward` → `rehab` → `ward` with no way out (routes taken with probability below 1e-6, `on_full` and `on_timeout` are not ways out)
            errors.toml:17: service.rehab: patients reaching `rehab` can never leave: its routes lead round `rehab` → `ward` → `rehab` with no way out (routes taken with probability below 1e-6, `on_full` and `on_timeout` are not ways out) (after --set service.rehab.routes.home.to=ward)"#]],
    );
}

#[test]
fn missing_sections_and_fields() {
    check(
        "[simulation]\nname = \"errors\"\nhorizon_days = 100\nreplications = 2\n",
        "",
        &[],
        expect!["errors.toml: the section `simulation` is missing"],
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
            --set service.ward.on_full=rehab: the chain of `on_full` comes back to a service already in it, so a patient finding them all full would never settle
            errors.toml:21: service.rehab.on_full: the chain of `on_full` comes back to a service already in it, so a patient finding them all full would never settle"#]],
    );
}

#[test]
fn bad_overrides() {
    check(
        "capacity = 3",
        "capacity = 3",
        &["service.icu.capacity=4"],
        expect!["--set service.icu.capacity=4: no item of `service` has the id or `to` `icu`"],
    );
    check(
        "capacity = 3",
        "capacity = 3",
        &["service.ward.capacity=-1"],
        expect![[
            r#"--set service.ward.capacity=-1: invalid value: integer `-1`, expected a whole number of places from 0 to 4294967295, "unlimited", or { staff = "id" }"#
        ]],
    );
    check(
        "capacity = 3",
        "capacity = 3",
        &["simulation.warmup_days=100"],
        expect!["--set simulation.warmup_days=100: the warm-up (100 days) must end before the horizon (100 days)"],
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
    expect!["DIR/empty.toml: the section `simulation` is missing"].assert_eq(&load("empty.toml", b""));
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

#[test]
fn tags_the_metrics_do_not_know_must_be_declared() {
    check(
        "routes = [{ to = \"home\", p = 1.0 }]",
        "routes = [{ to = \"home\", p = 1.0 }]\ntags = [\"rehabilitaion\", \"my_team\"]",
        &[],
        expect![[r#"
            errors.toml:22: service.rehab.tags.rehabilitaion: `rehabilitaion` is not a tag the metrics understand (did you mean `rehabilitation`?); if it is a tag of your own, declare it in `[simulation] tags`
            errors.toml:22: service.rehab.tags.my_team: `my_team` is not a tag the metrics understand; if it is a tag of your own, declare it in `[simulation] tags`"#]],
    );
    check(
        "replications = 2\n",
        "replications = 2\ntags = [\"acute\"]\n",
        &[],
        expect!["errors.toml:5: simulation.tags.acute: `acute` is a tag the metrics understand already; declare only tags of your own"],
    );
    let declared = VALID
        .replace("replications = 2\n", "replications = 2\ntags = [\"my_team\"]\n")
        .replace(
            "id = \"home\"\n",
            "id = \"home\"\ntags = [\"my_team\", \"dtoc_reason_d_ii\"]\n",
        );
    scenario::load_text("errors.toml", &declared, &[]).unwrap();
}

#[test]
fn a_service_needs_a_duration_only_where_some_patient_would_use_it() {
    let every_route_has_one = VALID.replace(
        "duration = { dist = \"exponential\", mean = 1.0 }\nroutes = [{ to = \"home\", p = 0.6 }, { to = \"rehab\", p = 0.4 }]",
        "routes = [{ to = \"home\", p = 0.6, duration = { dist = \"fixed\", value = 1.0 } }, { to = \"rehab\", p = 0.4, duration = { dist = \"fixed\", value = 2.0 } }]",
    );
    assert_ne!(every_route_has_one, VALID);
    scenario::load_text("errors.toml", &every_route_has_one, &[]).unwrap();
    check(
        "duration = { dist = \"exponential\", mean = 1.0 }\nroutes = [{ to = \"home\", p = 0.6 }",
        "routes = [{ to = \"home\", p = 0.6, duration = { dist = \"fixed\", value = 1.0 } }",
        &[],
        expect!["errors.toml:11: service.ward: needs `duration`: patients reach it, and neither `duration_by_cohort` nor all their routes give them one"],
    );
}

#[test]
fn every_item_with_a_mistake_is_reported_at_once() {
    check(
        "capacity = 2\n",
        "capacity = 2.5\n",
        &["service.ward.capacity=\"many\"", "simulation.horizon_days=\"long\""],
        expect![[r#"
            --set simulation.horizon_days="long": invalid type: string "long", expected f64
            --set service.ward.capacity="many": invalid value: string "many", expected a whole number of places from 0 to 4294967295, "unlimited", or { staff = "id" }
            errors.toml:19: service.rehab.capacity: invalid type: floating point `2.5`, expected a whole number of places from 0 to 4294967295, "unlimited", or { staff = "id" }"#]],
    );
}

#[test]
fn set_chooses_routes_by_destination_and_cohort_and_reports_its_own_mistakes() {
    let two_cohorts = VALID
        .replace(
            "rate_per_day = 2.0\n",
            "rate_per_day = 2.0\ncohorts = [{ cohort = \"old\", p = 0.5 }, { cohort = \"young\", p = 0.5 }]\n",
        )
        .replace(
            "routes = [{ to = \"home\", p = 0.6 }, { to = \"rehab\", p = 0.4 }]",
            "routes = [{ to = \"home\", p = 0.6, cohort = \"old\" }, { to = \"rehab\", p = 0.4, cohort = \"old\" }, { to = \"home\", p = 1.0, cohort = \"young\" }]",
        )
        + "[[cohort]]\nid = \"old\"\n[[cohort]]\nid = \"young\"\n";
    let load = |sets: &[&str]| {
        let sets: Vec<Override> = sets.iter().map(|s| s.parse().unwrap()).collect();
        scenario::load_text("errors.toml", &two_cohorts, &sets).map_err(|e| e.to_string())
    };
    load(&["service.ward.routes.home@old.p=0.5", "service.ward.routes.rehab.p=0.5"]).unwrap();
    expect!["--set service.ward.routes.home.p=0.5: `routes.home` could mean any of `routes.home@old`, `routes.home@young`: name one"]
        .assert_eq(&load(&["service.ward.routes.home.p=0.5"]).unwrap_err());
    expect!["errors.toml:16: service.ward.routes: probabilities of the routes for cohort `old` sum to 0.9, not 1 (after --set service.ward.routes.home@old.p=0.5)"]
        .assert_eq(&load(&["service.ward.routes.home@old.p=0.5"]).unwrap_err());
    expect![[r#"--set service.ward.duration={ dist = "gamma", mean = 3 }: missing field `sd`"#]]
        .assert_eq(&load(&["service.ward.duration={ dist = \"gamma\", mean = 3 }"]).unwrap_err());
    load(&[
        "service.ward.duration={ dist = \"gamma\", mean = 3, sd = 1 }",
        "simulation.start_date=2026-04-01",
    ])
    .unwrap();
}

#[test]
fn more_cohorts_than_a_patient_can_name_are_refused() {
    // Inline tables fit 65,536 cohorts in under 1 MiB; a patient's cohort is 16 bits.
    let cohorts: Vec<String> = (0..65_536).map(|k| format!("{{id=\"c{k}\"}}")).collect();
    let text = format!("cohort = [{}]\n{VALID}", cohorts.join(","));
    assert!(text.len() < 1 << 20);
    let error = scenario::load_text("errors.toml", &text, &[]).unwrap_err().to_string();
    expect!["errors.toml:1: cohort: there may be at most 65535 cohorts, not 65536"]
        .assert_eq(error.lines().next().unwrap());
}

#[test]
fn levers_and_the_values_that_refer_to_them() {
    let levered = |levers: &str, capacity: &str| {
        VALID
            .replace(
                "replications = 2\n",
                &format!("replications = 2\n\n[levers]\n{levers}\n"),
            )
            .replacen("capacity = 3", capacity, 1)
    };
    let load = |text: String, sets: &[&str]| {
        let sets: Vec<Override> = sets.iter().map(|s| s.parse().unwrap()).collect();
        scenario::load_text("errors.toml", &text, &sets)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let beds = "beds = { value = 3, label = \"Beds\", unit = \"beds\", min = 1, max = 10 }";
    load(levered(beds, "capacity = \"$beds\""), &[]).unwrap();
    load(levered(beds, "capacity = \"round($beds * 1.4)\""), &["beds=4"]).unwrap();
    expect!["errors.toml:16: service.ward.capacity: there is no lever `bed`; the levers are beds"]
        .assert_eq(&load(levered(beds, "capacity = \"$bed\""), &[]).unwrap_err());
    expect!["errors.toml:16: service.ward.capacity: `$beds +` ends where a number or a lever should be"]
        .assert_eq(&load(levered(beds, "capacity = \"$beds +\""), &[]).unwrap_err());
    // Outside its range is allowed (a run warns): the range is what sensitivity moves it over.
    load(levered(beds, "capacity = \"$beds\""), &["beds=12"]).unwrap();
    expect![[r#"errors.toml:16: service.ward.capacity: invalid type: floating point `4.199999999999999`, expected a whole number of places from 0 to 4294967295, "unlimited", or { staff = "id" }"#]]
        .assert_eq(&load(levered(beds, "capacity = \"$beds * 1.4\""), &[]).unwrap_err());
    expect!["errors.toml:7: levers.on: a lever that is on or off has no `min` or `max`"]
        .assert_eq(&load(levered("on = { value = true, min = 0, max = 1 }", "capacity = 3"), &[]).unwrap_err());
    expect!["errors.toml:16: service.ward.capacity: `$on * 2`: lever `on` is on or off, so it can stand only alone, not in arithmetic"]
        .assert_eq(&load(levered("on = { value = true }", "capacity = \"$on * 2\""), &[]).unwrap_err());
}

#[test]
fn costs_name_what_they_apply_to() {
    let costs = "[[exit]]\nid = \"home\"\n\n[costs]\n";
    check(
        "[[exit]]\nid = \"home\"\n",
        &format!("{costs}service_day = {{ wrd = {{ value = 300, payer = \"nhs\" }} }}\n"),
        &[],
        expect!["errors.toml:27: costs.service_day.wrd: there is no service or exit with the id `wrd`"],
    );
    check(
        "[[exit]]\nid = \"home\"\n",
        &format!("{costs}exit = {{ ward = {{ value = 300, payer = \"nhs\" }} }}\n"),
        &[],
        expect!["errors.toml:27: costs.exit.ward: `ward` is not an exit"],
    );
    check(
        "[[exit]]\nid = \"home\"\n",
        &format!("{costs}service_day = {{ ward = {{ value = -3, payer = \"gp\" }} }}\n"),
        &[],
        expect!["errors.toml:27: costs.service_day.ward.payer: unknown variant `gp`, expected `nhs` or `council`"],
    );
    check(
        "[[exit]]\nid = \"home\"\n",
        &format!("{costs}delayed_bed_day = {{ value = nan, payer = \"nhs\" }}\n"),
        &[],
        expect!["errors.toml:27: costs.delayed_bed_day.value: must be a finite number at least 0, not NaN"],
    );
    check(
        "[[exit]]\nid = \"home\"\n",
        &format!("{costs}fixed_year = {{ rehab = {{ value = 1e5, payer = \"council\" }} }}\n"),
        &["costs.fixed_year.rehab.value=-1"],
        expect!["--set costs.fixed_year.rehab.value=-1: must be a finite number at least 0, not -1"],
    );
}

#[test]
fn targets_name_a_metric_one_bound_and_a_period() {
    let acute = "[[exit]]\nid = \"home\"\n";
    let tagged = "[[exit]]\nid = \"home\"\n[population]\ntotal = 1000\naged_18_plus = 800\naged_65_plus = 200\n";
    let ward = "routes = [{ to = \"home\", p = 0.6 }, { to = \"rehab\", p = 0.4 }]";
    let with = |target: &str| format!("{tagged}\n[[target]]\n{target}\n");
    let check_target = |target: &str, expect: Expect| {
        let text = VALID
            .replacen(acute, &with(target), 1)
            .replacen(ward, &format!("{ward}\ntags = [\"acute\"]"), 1);
        match scenario::load_text("errors.toml", &text, &[]) {
            Ok(_) => panic!("target `{target}` was accepted"),
            Err(error) => expect.assert_eq(&error.to_string()),
        }
    };
    check_target(
        "metric = \"non_elective_admisions\"\nat_most = 10",
        expect!["errors.toml:32: target.0.metric: `non_elective_admisions` is not a metric of this network (did you mean `non_elective_admissions`?)"],
    );
    check_target(
        "metric = \"non_elective_admissions\"\nat_most = 10\nat_least = 5",
        expect!["errors.toml:31: target.0: give the bound as one of `at_most` or `at_least`"],
    );
    check_target(
        "metric = \"non_elective_admissions\"\nat_most = 10\nperiod = \"2019-20\"",
        expect!["errors.toml:34: target.0.period: `2019-20` is not a month (`2019-12`), financial-year quarter (`2019/20 Q3`), financial year (`2019/20`) or year to date (`2019/20 to 2019-12`)"],
    );
}

#[test]
fn uncertain_inputs_are_checked_where_written_and_at_both_ends() {
    check(
        "capacity = 3",
        r#"capacity = { uncertain = { dist = "normal", min = 1, max = 5 } }"#,
        &[],
        expect![[
            r#"errors.toml:13: service.ward.capacity.uncertain.dist: must be "triangular" (min, mode, max) or "uniform" (min, max)"#
        ]],
    );
    check(
        "horizon_days = 100",
        r#"horizon_days = { uncertain = { dist = "uniform", min = 90, max = 110 } }"#,
        &[],
        expect!["errors.toml:3: simulation.horizon_days: how the run is set up cannot be uncertain; give a number"],
    );
    // Valid at its central value (2), not at its lowest (-1).
    check(
        "capacity = 3",
        r#"capacity = { uncertain = { dist = "triangular", min = -1, mode = 2, max = 3 } }"#,
        &[],
        expect![[
            r#"errors.toml:13: service.ward.capacity: invalid value: integer `-1`, expected a whole number of places from 0 to 4294967295, "unlimited", or { staff = "id" } (with every uncertain input at its lowest value)"#
        ]],
    );
}

#[test]
fn observed_figure_of_an_unknown_service() {
    check(
        "[[exit]]",
        "[[observed]]\nmetric = \"services.wrd.mean_wait\"\nvalue = 1\nsource = \"x\"\n\n[[exit]]",
        &[],
        expect!["errors.toml:24: observed.0.metric: `services.wrd.mean_wait` is not a service of this network (did you mean `ward`?)"],
    );
}

#[test]
fn observed_figure_with_a_negative_tolerance_and_no_source() {
    check(
        "[[exit]]",
        "[[observed]]\nmetric = \"services.ward.mean_wait\"\nvalue = 1\nsource = \" \"\ntolerance = -1\n\n[[exit]]",
        &[],
        expect![[r#"
            errors.toml:26: observed.0.source: say where the figure comes from
            errors.toml:27: observed.0.tolerance: must be a finite number at least 0, not -1"#]],
    );
}

#[test]
fn observed_figure_by_period_of_a_service() {
    check(
        "[[exit]]",
        "[[observed]]\nmetric = \"services.ward.mean_wait\"\nvalue = 1\nsource = \"x\"\nperiod = \"2019/20\"\n\n[[exit]]",
        &[],
        expect!["errors.toml:27: observed.0.period: only metrics have figures by period; leave the period out to compare the whole results period"],
    );
}

#[test]
fn dated_rates_that_leave_days_of_the_run_out() {
    check(
        "rate_per_day = 2.0",
        r#"rate_by_date = [{ date = 2025-04-01, rate_per_day = 2.0 }, { date = 2025-04-02, rate_per_day = 3.0 }]"#,
        &["simulation.start_date=2025-04-01"],
        expect!["errors.toml:8: source.in.rate_by_date: has no rate for 2025-04-03 (98 of the run's 100 days, 2025-04-01 to 2025-07-09, are missing); list them or give `fallback_rate_per_day`"],
    );
}

#[test]
fn dated_rates_with_a_weekday_profile() {
    check(
        "rate_per_day = 2.0",
        "rate_by_date = [{ date = 2025-04-01, rate_per_day = 2.0 }]\nfallback_rate_per_day = 2\nprofile = { weekday = [1, 1, 1, 1, 1, 0.5, 0.5] }",
        &[],
        expect!["errors.toml:10: source.in.profile: with `rate_by_date` the table gives each day's rate, so only an `hour` profile applies"],
    );
}

#[test]
fn dated_rates_from_a_missing_file() {
    check(
        "rate_per_day = 2.0",
        "rate_by_date = \"rates.csv\"",
        &[],
        expect![
            "errors.toml:8: source.in.rate_by_date: cannot read `rates.csv`: No such file or directory (os error 2)"
        ],
    );
}

#[test]
fn census_at_an_exit() {
    check(
        "[[exit]]",
        "[initial]\npatients = [{ service = \"home\", days = 2 }]\n\n[[exit]]",
        &[],
        expect!["errors.toml:24: initial.patients.0.service: `home` is an exit; census patients are at services"],
    );
}

#[test]
fn census_waiting_for_a_service_its_routes_do_not_lead_to() {
    check(
        "[[exit]]",
        "[initial]\npatients = [{ service = \"rehab\", state = \"blocked\", waiting_for = \"ward\", days = 2 }]\n\n[[exit]]",
        &[],
        expect!["errors.toml:24: initial.patients.0.waiting_for: `rehab`'s routes for cohort `all` do not lead to `ward` (they lead to home)"],
    );
}

#[test]
fn census_with_a_negative_stay() {
    check(
        "[[exit]]",
        "[initial]\npatients = [{ service = \"ward\", days = -1, count = 3 }]\n\n[[exit]]",
        &[],
        expect!["errors.toml:24: initial.patients.0.days: must be a finite number at least 0, not -1"],
    );
}
