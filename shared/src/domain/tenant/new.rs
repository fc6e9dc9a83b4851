//! The validated create request: a create body read into a [`NewTenant`].

use serde_json::{Map, Value};

use crate::domain::input::{Problems, Reader};
use crate::domain::plans::PlanCatalogue;
use crate::domain::values::{Slug, TenantId, UserId};
use crate::error::ApiError;

use super::{TenantFields, CREATE_ONLY_FIELDS, MAX_INITIAL_ADMINS, READ_ONLY_FIELDS};

/// A validated create request.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTenant {
    /// The client-supplied id, if any (makes the create idempotent).
    pub id: Option<TenantId>,
    pub slug: Slug,
    pub plan: String,
    pub fields: TenantFields,
    /// Users made admins of the tenant in the create transaction.
    pub initial_admin_user_ids: Vec<UserId>,
}

impl NewTenant {
    /// Validates a create body, listing every invalid or unknown field.
    pub fn from_json(body: &Map<String, Value>, plans: &PlanCatalogue) -> Result<Self, ApiError> {
        let mut problems = Problems::default();
        for key in body.keys() {
            let key = key.as_str();
            if !TenantFields::names().contains(&key) && !CREATE_ONLY_FIELDS.contains(&key) {
                problems.add(
                    key,
                    if READ_ONLY_FIELDS.contains(&key) {
                        "is set by the server and cannot be written"
                    } else {
                        "is not a known field"
                    },
                );
            }
        }
        let mut r = Reader::new(body, &mut problems);
        let id = r.text("id", TenantId::parse);
        let slug = r.text("slug", Slug::parse);
        r.require("slug");
        let plan = r.text("plan", |p| {
            if plans.contains(p) {
                Ok(p.to_owned())
            } else {
                Err(format!("must be one of: {}", plans.plans().join(", ")))
            }
        });
        let initial_admin_user_ids = initial_admins(body.get("initialAdminUserIds"), &mut problems);
        let fields = TenantFields::from_json(body, &mut problems);
        if let Some(fields) = &fields {
            crate::domain::entitlements::effective::check_overrides(
                plans,
                &fields.overrides,
                &mut problems,
            );
        }
        let new = slug.zip(fields).map(|(slug, fields)| Self {
            id,
            slug,
            plan: plan.unwrap_or_else(|| plans.default_plan().to_owned()),
            fields,
            initial_admin_user_ids,
        });
        let new = problems.require(new)?;
        new.fields.require_sso_grant(plans, &new.plan, None)?;
        Ok(new)
    }
}

/// `initialAdminUserIds`: up to [`MAX_INITIAL_ADMINS`] distinct user ids.
fn initial_admins(value: Option<&Value>, problems: &mut Problems) -> Vec<UserId> {
    const FIELD: &str = "initialAdminUserIds";
    let items = match value {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => {
            problems.add(FIELD, "must be an array of user ids");
            return Vec::new();
        }
    };
    if items.len() > MAX_INITIAL_ADMINS {
        problems.add(
            FIELD,
            format!("may name at most {MAX_INITIAL_ADMINS} users"),
        );
        return Vec::new();
    }
    let mut ids: Vec<UserId> = Vec::with_capacity(items.len());
    for item in items {
        match item.as_str().map(UserId::parse) {
            Some(Ok(id)) if ids.contains(&id) => {
                problems.add(FIELD, format!("names '{id}' twice"));
                return Vec::new();
            }
            Some(Ok(id)) => ids.push(id),
            Some(Err(why)) => {
                problems.add(FIELD, format!("each user id {why}"));
                return Vec::new();
            }
            None => {
                problems.add(FIELD, "must be an array of user ids");
                return Vec::new();
            }
        }
    }
    ids
}
