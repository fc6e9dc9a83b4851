//! Unit tests of usage: checks against limits, thresholds, unlimited and ungranted
//! features, and what a report may be.

use super::*;

fn counter(limit: Option<u64>, usage: u64) -> Counter {
    Counter {
        feature: "maxUsers".into(),
        key: "maxUsers".into(),
        limit,
        granted: limit != Some(0),
        soft: None,
        usage,
        period: None,
    }
}

#[test]
fn an_increment_past_the_limit_is_refused_with_the_figures() {
    let c = counter(Some(10), 10);
    let Err(Refusal::Refused(answer)) = c.plan(TenantStatus::Active, Report::Delta(1)) else {
        panic!("allowed")
    };
    assert_eq!(answer.reason, Some(Reason::LimitReached));
    assert_eq!(answer.usage, Some(10));
    assert_eq!(answer.remaining, Some(Value::from(0)));
}

#[test]
fn a_suspended_tenant_may_decrement_but_not_increment() {
    let c = counter(Some(10), 5);
    assert!(c.plan(TenantStatus::Suspended, Report::Delta(1)).is_err());
    assert_eq!(
        c.plan(TenantStatus::Suspended, Report::Delta(-2)),
        Ok(ReportWrite::Subtract { n: 2 })
    );
    assert_eq!(
        c.plan(TenantStatus::Active, Report::Delta(-6)),
        Err(Refusal::BelowZero { usage: 5 })
    );
}

#[test]
fn an_increment_crossing_a_threshold_pins_the_exact_usage() {
    let c = counter(Some(10), 7);
    let Ok(ReportWrite::Add {
        low, high, crossed, ..
    }) = c.plan(TenantStatus::Active, Report::Delta(1))
    else {
        panic!()
    };
    assert_eq!((low, high, crossed), (7, Some(8), vec![80]));
}

#[test]
fn an_increment_crossing_nothing_pins_the_band_where_it_crosses_nothing() {
    let c = counter(Some(10), 3);
    let Ok(ReportWrite::Add {
        low,
        high,
        crossed,
        max_before,
        ..
    }) = c.plan(TenantStatus::Active, Report::Delta(2))
    else {
        panic!()
    };
    // 80 % of 10 is 8: from 6 on, +2 would cross it.
    assert_eq!((low, high, max_before), (0, Some(6), Some(8)));
    assert!(crossed.is_empty());
}

#[test]
fn unlimited_features_count_without_bounds_or_thresholds() {
    let c = counter(None, 1_000);
    assert_eq!(
        c.plan(TenantStatus::Active, Report::Delta(5)),
        Ok(ReportWrite::Add {
            n: 5,
            max_before: None,
            low: 0,
            high: None,
            crossed: vec![]
        })
    );
}

#[test]
fn a_feature_not_granted_is_refused_as_not_in_plan() {
    let c = counter(Some(0), 0);
    let answer = c.check(TenantStatus::Active, 1);
    assert_eq!(answer.reason, Some(Reason::NotInPlan));
}

#[test]
fn reports_are_one_whole_delta_or_a_set() {
    let parse = |v: Value| Report::from_json(v.as_object().unwrap());
    assert_eq!(
        parse(serde_json::json!({"delta": -3})).unwrap(),
        Report::Delta(-3)
    );
    assert_eq!(
        parse(serde_json::json!({"set": 4})).unwrap(),
        Report::Set(4)
    );
    for bad in [
        serde_json::json!({"delta": 1.5}),
        serde_json::json!({"delta": 0}),
        serde_json::json!({"delta": 12345678901234567890u64}),
        serde_json::json!({"set": -1}),
        serde_json::json!({"set": true}),
        serde_json::json!({"delta": 1, "set": 1}),
        serde_json::json!({}),
        serde_json::json!({"delta": 1, "x": 1}),
    ] {
        assert!(parse(bad.clone()).is_err(), "{bad}");
    }
}

proptest::proptest! {
    #[test]
    fn an_increment_crosses_a_threshold_only_inside_its_band(
        limit in 1u64..200, usage in 0u64..250, n in 1u64..20
    ) {
        let c = counter(Some(limit), usage);
        if let Ok(ReportWrite::Add { low, high, crossed, .. }) =
            c.plan(TenantStatus::Active, Report::Delta(n as i64))
        {
            // Any usage in the band crosses exactly the same thresholds.
            let top = high.unwrap_or(low + 50).min(low + 50);
            for u in low..top {
                let other = Counter { usage: u, ..c.clone() };
                proptest::prop_assert_eq!(other.crossings(u, u + n), crossed.clone());
            }
        }
    }
}
