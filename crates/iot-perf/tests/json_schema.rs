//! Real JSON reports validate against the committed schema, `docs/report.schema.json`
//! (whose field descriptions name every unit). The checker below covers the keywords the
//! schema uses: `type`, `const`, `enum`, `required`, `properties`,
//! `additionalProperties`, `items`, `prefixItems`, `minItems`, `maxItems`, `minimum`,
//! `maximum`, `anyOf` and local `$ref`s.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

mod common;

use assert_cmd::Command;
use serde_json::Value;

const SCHEMA: &str = include_str!("../../../docs/report.schema.json");
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v1-capture.bin");
const QEMU: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/v1-qemu-mps2-an385.bin"
);
const QEMU_SNAPSHOTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/v1-qemu-mps2-an385-snapshots.bin"
);
/// Wire version 2: the QEMU example with its Embassy task and SysTick handler rows.
const QEMU_TASKS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/v2-qemu-mps2-an385-tasks.bin"
);

fn type_ok(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        other => panic!("unknown type {other}"),
    }
}

/// The places `v` breaks `schema`, as JSON pointers with a reason.
fn errors(root: &Value, schema: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let target = root
            .pointer(r.trim_start_matches('#'))
            .expect("$ref resolves");
        return errors(root, target, v, at, out);
    }
    if let Some(any) = schema.get("anyOf").and_then(Value::as_array)
        && !any.iter().any(|s| {
            let mut e = Vec::new();
            errors(root, s, v, at, &mut e);
            e.is_empty()
        })
    {
        out.push(format!("{at}: matches no anyOf branch"));
    }
    match schema.get("type") {
        Some(Value::String(t)) if !type_ok(v, t) => out.push(format!("{at}: not {t}")),
        Some(Value::Array(ts)) if !ts.iter().any(|t| type_ok(v, t.as_str().unwrap())) => {
            out.push(format!("{at}: none of {ts:?}"));
        }
        _ => {}
    }
    if schema.get("const").is_some_and(|c| c != v) {
        out.push(format!("{at}: not the constant"));
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(v)
    {
        out.push(format!("{at}: {v} not in {options:?}"));
    }
    if let Some(n) = v.as_f64() {
        if schema
            .get("minimum")
            .and_then(Value::as_f64)
            .is_some_and(|m| n < m)
        {
            out.push(format!("{at}: below minimum"));
        }
        if schema
            .get("maximum")
            .and_then(Value::as_f64)
            .is_some_and(|m| n > m)
        {
            out.push(format!("{at}: above maximum"));
        }
    }
    if let Some(obj) = v.as_object() {
        for key in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !obj.contains_key(key.as_str().unwrap()) {
                out.push(format!("{at}: missing {key}"));
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (key, value) in obj {
            let path = format!("{at}/{key}");
            match (
                props.and_then(|p| p.get(key)),
                schema.get("additionalProperties"),
            ) {
                (Some(s), _) => errors(root, s, value, &path, out),
                (None, Some(Value::Bool(false))) => out.push(format!("{path}: not allowed")),
                (None, Some(s @ Value::Object(_))) => errors(root, s, value, &path, out),
                _ => {}
            }
        }
    }
    if let Some(items) = v.as_array() {
        let len = items.len() as u64;
        if schema
            .get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| len < m)
            || schema
                .get("maxItems")
                .and_then(Value::as_u64)
                .is_some_and(|m| len > m)
        {
            out.push(format!("{at}: {len} items"));
        }
        let prefix = schema.get("prefixItems").and_then(Value::as_array);
        for (i, item) in items.iter().enumerate() {
            let path = format!("{at}/{i}");
            match (prefix.and_then(|p| p.get(i)), schema.get("items")) {
                (Some(s), _) | (None, Some(s)) => errors(root, s, item, &path, out),
                _ => {}
            }
        }
    }
}

fn validate(report: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(SCHEMA).expect("the schema is JSON");
    let mut out = Vec::new();
    errors(&schema, &schema, report, "", &mut out);
    out
}

fn report(args: &[&str], captures: &[(&str, &str)]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let cmd = || {
        let mut c = Command::cargo_bin("iot-perf").unwrap();
        c.env_remove("IOT_PERF_DB")
            .arg("--db")
            .arg(dir.path().join("h.sqlite"));
        c
    };
    for (run, path) in captures {
        cmd()
            .args(["record", "--run", run, path])
            .assert()
            .success();
    }
    cmd()
        .args(["baseline", "save", "main", "--run", captures[0].0])
        .assert()
        .success();
    let out = cmd().args(args).assert().success();
    serde_json::from_slice(&out.get_output().stdout).expect("JSON")
}

#[test]
fn real_reports_validate_against_the_committed_schema() {
    let dir = tempfile::tempdir().unwrap();
    let leaky = dir.path().join("leaky.bin");
    std::fs::write(&leaky, common::capture(3, 40, 1.2, 300)).unwrap();
    let leaky = leaky.to_str().unwrap();
    let cases = [
        report(
            &[
                "report",
                "--run",
                "b",
                "--baseline",
                "main",
                "--format",
                "json",
            ],
            &[("a", FIXTURE), ("b", leaky)],
        ),
        report(
            &["report", "--run", "q", "--format", "json"],
            &[("q", QEMU)],
        ),
        report(
            &[
                "report",
                "--run",
                "s",
                "--baseline",
                "main",
                "--format",
                "json",
            ],
            &[("q", QEMU), ("s", QEMU_SNAPSHOTS)],
        ),
        report(
            &["report", "--run", "t", "--format", "json"],
            &[("t", QEMU_TASKS)],
        ),
    ];
    assert_eq!(
        cases[3]["tasks"].as_array().map(Vec::len),
        Some(2),
        "covers task rows"
    );
    assert_eq!(
        cases[3]["interrupts"][0]["name"], "SysTick",
        "covers handler rows"
    );
    assert!(
        cases[0]["leak"]["leak_suspected"].as_bool().unwrap(),
        "covers leak evidence"
    );
    // The floors behind that evidence, one per fitted window, for the heap chart.
    assert_eq!(
        cases[0]["series"]["heap_floors"]["points"]
            .as_array()
            .map(Vec::len),
        cases[0]["leak"]["windows"]
            .as_u64()
            .and_then(|w| usize::try_from(w).ok())
    );
    assert!(
        cases[1]["system"]["heap_used"].is_null(),
        "covers unmeasured figures"
    );
    assert!(!cases[0]["recommendations"].as_array().unwrap().is_empty());
    for report in &cases {
        assert_eq!(validate(report), Vec::<String>::new());
    }
    // The checker catches a report that drops a unit or smuggles in a field.
    let mut broken = cases[0].clone();
    broken["system"]["heap_used"]
        .as_object_mut()
        .unwrap()
        .remove("unit");
    broken["series"]["heap_used"]["x_unit"] = "ms".into();
    broken["comparison"]["gate"]["confidence"] = 0.95.into();
    assert_eq!(
        validate(&broken),
        [
            "/comparison/gate/confidence: not allowed",
            "/series/heap_used/x_unit: not the constant",
            "/system/heap_used: missing \"unit\"",
        ]
    );
    let mut broken = cases[3].clone();
    broken["tasks"][0]["busy_ms"] = 1.0.into();
    broken["interrupts"][0]
        .as_object_mut()
        .unwrap()
        .remove("max_us");
    assert_eq!(
        validate(&broken),
        [
            "/interrupts/0: missing \"max_us\"",
            "/tasks/0/busy_ms: not allowed",
        ]
    );
}
