//! The ordered plan catalogue and what each plan grants. Plans are configuration (the plan
//! file, `shared/plans.json`, or the `PLANS` variable), so the catalogue is parsed once per
//! cold start; upgrades/downgrades compare positions in it, and entitlements read its grants.

use std::collections::BTreeMap;
use std::fmt;

pub use super::entitlements::catalogue::{Feature, FeatureKind, Grant, Period};

/// The catalogue used when `PLAN_CATALOGUE` is not set.
pub const DEFAULT_CATALOGUE: &str = "free,starter,pro,business,enterprise";
/// The default plan used when `DEFAULT_PLAN` is not set.
pub const DEFAULT_PLAN: &str = "starter";

/// An ordered list of plan names, lowest first, with the features the plans may grant and
/// each plan's grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanCatalogue {
    plans: Vec<String>,
    default_plan: String,
    /// Every feature, in the plan file's order.
    pub(crate) features: Vec<Feature>,
    /// Each plan's grants (same order as `plans`); a feature a plan does not name is not
    /// granted (off, or a limit of 0).
    pub(crate) grants: Vec<BTreeMap<String, Grant>>,
}

/// Why a catalogue configuration was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CatalogueError {
    #[error("the plan catalogue is empty")]
    Empty,
    #[error("plan name '{0}' is invalid: use 1-64 characters a-z, 0-9, '-' or '_'")]
    InvalidName(String),
    #[error("plan '{0}' appears twice in the catalogue")]
    Duplicate(String),
    #[error("default plan '{0}' is not in the catalogue")]
    UnknownDefault(String),
    #[error("the plan file is invalid: {0}")]
    File(String),
}

impl PlanCatalogue {
    /// Parses a comma-separated catalogue (lowest plan first) and its default plan.
    pub fn parse(catalogue: &str, default_plan: &str) -> Result<Self, CatalogueError> {
        let mut plans: Vec<String> = Vec::new();
        for name in catalogue
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let valid = name.len() <= 64
                && name.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'
                });
            if !valid {
                return Err(CatalogueError::InvalidName(name.to_owned()));
            }
            if plans.iter().any(|p| p == name) {
                return Err(CatalogueError::Duplicate(name.to_owned()));
            }
            plans.push(name.to_owned());
        }
        if plans.is_empty() {
            return Err(CatalogueError::Empty);
        }
        let default_plan = default_plan.trim();
        if !plans.iter().any(|p| p == default_plan) {
            return Err(CatalogueError::UnknownDefault(default_plan.to_owned()));
        }
        let grants = vec![BTreeMap::new(); plans.len()];
        Ok(Self {
            plans,
            default_plan: default_plan.to_owned(),
            features: Vec::new(),
            grants,
        })
    }

    /// The catalogue with `features` and each plan's `grants` (same order as the plans).
    pub(crate) fn with_grants(
        mut self,
        features: Vec<Feature>,
        grants: Vec<BTreeMap<String, Grant>>,
    ) -> Self {
        self.features = features;
        self.grants = grants;
        self
    }

    /// Every feature, in the plan file's order.
    pub fn features(&self) -> &[Feature] {
        &self.features
    }

    /// The feature named `name`.
    pub fn feature(&self, name: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.name == name)
    }

    /// What `plan` grants of `feature` ([`Grant::None`] for a plan not in the catalogue,
    /// or a feature it does not name).
    pub fn grant(&self, plan: &str, feature: &str) -> Grant {
        self.rank(plan)
            .and_then(|rank| self.grants[rank].get(feature).cloned())
            .unwrap_or(Grant::None)
    }

    /// The plan given to tenants created without one.
    pub fn default_plan(&self) -> &str {
        &self.default_plan
    }

    /// All plans, lowest first.
    pub fn plans(&self) -> &[String] {
        &self.plans
    }

    /// The position of `plan` in the catalogue (0 = lowest), if it is in it.
    pub fn rank(&self, plan: &str) -> Option<usize> {
        self.plans.iter().position(|p| p == plan)
    }

    /// Whether `plan` is in the catalogue.
    pub fn contains(&self, plan: &str) -> bool {
        self.rank(plan).is_some()
    }

    /// Checks a plan change in `direction` from `current` to `target`.
    pub fn check_change(
        &self,
        direction: PlanDirection,
        current: &str,
        target: &str,
    ) -> Result<(), String> {
        let target_rank = self
            .rank(target)
            .ok_or_else(|| format!("unknown plan '{target}'"))?;
        // A plan dropped from the catalogue sorts below every plan still in it.
        let current_rank = self.rank(current).map(|r| r as isize).unwrap_or(-1);
        let ok = match direction {
            PlanDirection::Upgrade => target_rank as isize > current_rank,
            PlanDirection::Downgrade => (target_rank as isize) < current_rank,
        };
        if ok {
            Ok(())
        } else {
            Err(format!(
                "cannot {direction} from '{current}' to '{target}': '{target}' is not {} than '{current}' in the catalogue ({})",
                match direction {
                    PlanDirection::Upgrade => "higher",
                    PlanDirection::Downgrade => "lower",
                },
                self.plans.join(" < ")
            ))
        }
    }
}

/// Which way a plan change must go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanDirection {
    Upgrade,
    Downgrade,
}

impl fmt::Display for PlanDirection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Upgrade => "upgrade",
            Self::Downgrade => "downgrade",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> PlanCatalogue {
        PlanCatalogue::parse(DEFAULT_CATALOGUE, DEFAULT_PLAN).unwrap()
    }

    #[test]
    fn default_catalogue_is_ordered_lowest_first() {
        let c = catalogue();
        assert_eq!(c.rank("free"), Some(0));
        assert_eq!(c.rank("enterprise"), Some(4));
        assert_eq!(c.default_plan(), "starter");
    }

    #[test]
    fn upgrade_must_go_higher_and_downgrade_lower() {
        let c = catalogue();
        assert!(c
            .check_change(PlanDirection::Upgrade, "starter", "pro")
            .is_ok());
        assert!(c
            .check_change(PlanDirection::Upgrade, "pro", "starter")
            .is_err());
        assert!(c
            .check_change(PlanDirection::Upgrade, "pro", "pro")
            .is_err());
        assert!(c
            .check_change(PlanDirection::Downgrade, "pro", "free")
            .is_ok());
        assert!(c
            .check_change(PlanDirection::Downgrade, "free", "pro")
            .is_err());
    }

    #[test]
    fn catalogue_rejects_duplicates_bad_names_and_unknown_default() {
        assert_eq!(
            PlanCatalogue::parse("a,b,a", "a"),
            Err(CatalogueError::Duplicate("a".into()))
        );
        assert_eq!(
            PlanCatalogue::parse("a,B", "a"),
            Err(CatalogueError::InvalidName("B".into()))
        );
        assert_eq!(
            PlanCatalogue::parse("a,b", "c"),
            Err(CatalogueError::UnknownDefault("c".into()))
        );
        assert_eq!(PlanCatalogue::parse(" , ", "a"), Err(CatalogueError::Empty));
    }
}
