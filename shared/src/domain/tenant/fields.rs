//! The tenant's mutable fields: the one struct, its schemas, which fields are create-only,
//! read-only or guarded, and reading them from JSON.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

use crate::domain::input::{Problems, Reader};
use crate::domain::plans::PlanCatalogue;
use crate::domain::values::{
    bounded_text, identifier, metadata, nullable_text_schema, positive_limit, AwsExternalId,
    AwsRegion, DisplayName, DomainName, Email, HttpsUrl, IamRoleArn, Locale, BOUNDED_TEXT_PATTERN,
    METADATA_MAX_KEYS, METADATA_MAX_KEY_CHARS,
};
use crate::error::ApiError;

use super::{LoginMode, TenantKind};

/// The fields a client may change after creation (with PATCH). This struct is the one
/// list of them: its serde names are the API's and the storage's, and [`Self::from_json`]
/// (the only other place that names them) is also where [`Self::names`] comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantFields {
    pub name: DisplayName,
    #[schema(default = "standard")]
    pub kind: TenantKind,
    pub owner_email: Option<Email>,
    #[schema(schema_with = owner_name_schema)]
    pub owner_name: Option<String>,
    /// The owner's user id at the identity provider (printable ASCII, no spaces).
    #[schema(schema_with = owner_user_id_schema)]
    pub owner_user_id: Option<String>,
    pub billing_email: Option<Email>,
    pub technical_contact_email: Option<Email>,
    /// The platform's own id for this customer (printable ASCII, no spaces).
    #[schema(schema_with = external_id_schema)]
    pub external_id: Option<String>,
    pub locale: Option<Locale>,
    pub region: Option<AwsRegion>,
    #[schema(default = "invite")]
    pub login_mode: LoginMode,
    /// IAM Identity Center start URL; required when `loginMode` is `sso`.
    pub sso_start_url: Option<HttpsUrl>,
    pub sso_region: Option<AwsRegion>,
    pub email_domain: Option<DomainName>,
    pub aws_role_arn: Option<IamRoleArn>,
    /// The STS external id the platform assumes `awsRoleArn` with: drawn by the platform
    /// at create (`ext_` and 64 hex digits) for the customer's trust policy. Only platform
    /// admins change it: a value imports one, `null` draws a new one.
    pub aws_external_id: Option<AwsExternalId>,
    pub aws_region: Option<AwsRegion>,
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub max_users: Option<u32>,
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub max_workspaces: Option<u32>,
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub max_projects: Option<u32>,
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub max_environments: Option<u32>,
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    pub data_retention_days: Option<u32>,
    /// Free-form JSON object: at most 50 keys of 1-128 characters, 8 KiB serialized.
    #[schema(schema_with = metadata_schema)]
    pub metadata: Option<Map<String, Value>>,
    /// The tenant's own grants of plan features, which replace its plan's and survive
    /// plan changes: feature name → `true`/`false` (boolean features), a whole number
    /// (limits, values) or `"unlimited"`. The limit fields above are the overrides of the
    /// features of their names. Only platform admins change them; `null` clears one.
    #[serde(default)]
    #[schema(schema_with = overrides_schema)]
    pub overrides: std::collections::BTreeMap<String, Value>,
}

fn overrides_schema() -> RefOr<Schema> {
    let value = utoipa::openapi::schema::OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Boolean))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .maximum(Some(
                    crate::domain::entitlements::catalogue::MAX_AMOUNT as f64,
                )),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["unlimited"])),
        )
        .item(ObjectBuilder::new().schema_type(Type::Null));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "Per-tenant grants of plan features (GET /v1/plans lists them), replacing the plan's: true/false, a whole number, or \"unlimited\". In a PATCH, null removes one.",
        ))
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[A-Za-z][A-Za-z0-9]{0,63}$")),
        ))
        .additional_properties(Some(Schema::OneOf(value.build())))
        .max_properties(Some(50))
        .examples([serde_json::json!({"sso": true, "apiCalls": 250000})])
        .into()
}

fn owner_name_schema() -> RefOr<Schema> {
    nullable_text_schema(
        BOUNDED_TEXT_PATTERN,
        (1, 200),
        "Ada Owner",
        "The owner's name.",
    )
}

fn owner_user_id_schema() -> RefOr<Schema> {
    nullable_text_schema(
        r"^[!-~]{1,128}$",
        (1, 128),
        "auth0|5f7c8e",
        "The owner's user id.",
    )
}

fn external_id_schema() -> RefOr<Schema> {
    nullable_text_schema(
        r"^[!-~]{1,256}$",
        (1, 256),
        "crm-4711",
        "The platform's own id.",
    )
}

fn metadata_schema() -> RefOr<Schema> {
    let key = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(METADATA_MAX_KEY_CHARS));
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
        .description(Some(
            "Free-form JSON object: at most 50 keys of 1-128 characters, 8 KiB serialized.",
        ))
        .property_names(Some(key))
        .max_properties(Some(METADATA_MAX_KEYS))
        .examples([serde_json::json!({"crm": "hubspot", "seats": 12})])
        .into()
}

/// Body fields a client may set only when creating a tenant.
pub const CREATE_ONLY_FIELDS: [&str; 4] = ["id", "slug", "plan", "initialAdminUserIds"];

/// Most initial admins a create may name.
pub const MAX_INITIAL_ADMINS: usize = 20;

/// Fields only the server writes.
pub const READ_ONLY_FIELDS: [&str; 10] = [
    "currentUserRoles",
    "provisioning",
    "status",
    "scopeId",
    "version",
    "createdAt",
    "updatedAt",
    "suspendedReason",
    "suspendedAt",
    "deletedAt",
];

/// Mutable fields that only some callers may change: a PATCH that changes one of a group's
/// fields asks the policies for the group's own permission as well (the policies name who
/// may; a value sent back unchanged asks nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardedFields {
    /// Whom the platform mails as the tenant's owner.
    Owner,
    /// What the tenant is entitled to: its limits and plan-like fields.
    Limits,
    /// The STS external id the platform assumes the tenant's role with.
    AwsExternalId,
}

impl GuardedFields {
    /// Every group.
    pub const ALL: [Self; 3] = [Self::Owner, Self::Limits, Self::AwsExternalId];

    /// The body names of the group's fields.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Self::Owner => &["ownerEmail", "ownerName", "ownerUserId"],
            Self::Limits => &[
                "maxUsers",
                "maxWorkspaces",
                "maxProjects",
                "maxEnvironments",
                "dataRetentionDays",
                "kind",
                "overrides",
            ],
            Self::AwsExternalId => &["awsExternalId"],
        }
    }
}

impl TenantFields {
    /// The guarded groups with a field that differs between `self` and `next`.
    pub fn guarded_changes(&self, next: &Self) -> Vec<GuardedFields> {
        let (before, after) = (self.to_json(), next.to_json());
        GuardedFields::ALL
            .into_iter()
            .filter(|group| {
                group
                    .fields()
                    .iter()
                    .any(|field| before.get(*field) != after.get(*field))
            })
            .collect()
    }

    /// The body names of the mutable fields, in order: the fields [`Self::from_json`]
    /// reads (a test checks they are exactly the struct's).
    pub fn names() -> &'static [&'static str] {
        static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
        NAMES.get_or_init(|| {
            let (empty, mut problems) = (Map::new(), Problems::default());
            let mut reader = Reader::new(&empty, &mut problems);
            Self::read(&mut reader);
            reader.into_fields_read()
        })
    }

    /// Validates the mutable fields of `body`, recording every problem in `problems`.
    /// Fields outside [`Self::names`] are ignored here; callers reject them.
    pub fn from_json(body: &Map<String, Value>, problems: &mut Problems) -> Option<Self> {
        Self::read(&mut Reader::new(body, problems))
    }

    fn read(r: &mut Reader<'_>) -> Option<Self> {
        let before = r.problems.len();
        let name = r.text("name", DisplayName::parse);
        r.require("name");
        let kind = r.text("kind", TenantKind::parse).unwrap_or_default();
        let owner_email = r.text("ownerEmail", Email::parse);
        let owner_name = r.text("ownerName", |s| bounded_text(s, 1, 200));
        let owner_user_id = r.text("ownerUserId", |s| identifier(s, 128));
        let billing_email = r.text("billingEmail", Email::parse);
        let technical_contact_email = r.text("technicalContactEmail", Email::parse);
        let external_id = r.text("externalId", |s| identifier(s, 256));
        let locale = r.text("locale", Locale::parse);
        let region = r.text("region", AwsRegion::parse);
        let login_mode = r.text("loginMode", LoginMode::parse).unwrap_or_default();
        let sso_start_url = r.text("ssoStartUrl", HttpsUrl::parse);
        let sso_region = r.text("ssoRegion", AwsRegion::parse);
        let email_domain = r.text("emailDomain", DomainName::parse);
        let aws_role_arn = r.text("awsRoleArn", IamRoleArn::parse);
        let aws_external_id = r.text("awsExternalId", AwsExternalId::parse);
        let aws_region = r.text("awsRegion", AwsRegion::parse);
        let max_users = r.value("maxUsers", positive_limit);
        let max_workspaces = r.value("maxWorkspaces", positive_limit);
        let max_projects = r.value("maxProjects", positive_limit);
        let max_environments = r.value("maxEnvironments", positive_limit);
        let data_retention_days = r.value("dataRetentionDays", positive_limit);
        let metadata = r.value("metadata", metadata);
        let overrides = r
            .value(
                "overrides",
                crate::domain::entitlements::effective::overrides_field,
            )
            .unwrap_or_default();

        // Cross-field rules: a login mode needs the settings it signs users in with.
        match login_mode {
            LoginMode::Sso => {
                for field in ["ssoStartUrl", "ssoRegion"] {
                    if !r.present(field) {
                        r.problems.add(field, "is required when loginMode is 'sso'");
                    }
                }
            }
            LoginMode::EmailDomain if !r.present("emailDomain") => {
                r.problems.add(
                    "emailDomain",
                    "is required when loginMode is 'email_domain'",
                );
            }
            _ => {}
        }

        if r.problems.len() > before {
            return None;
        }
        Some(Self {
            name: name?,
            kind,
            owner_email,
            owner_name,
            owner_user_id,
            billing_email,
            technical_contact_email,
            external_id,
            locale,
            region,
            login_mode,
            sso_start_url,
            sso_region,
            email_domain,
            aws_role_arn,
            aws_external_id,
            aws_region,
            max_users,
            max_workspaces,
            max_projects,
            max_environments,
            data_retention_days,
            metadata,
            overrides,
        })
    }

    /// These fields as a JSON object (absent optional fields omitted), the document a
    /// merge patch applies to.
    pub fn to_json(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map.into_iter().filter(|(_, v)| !v.is_null()).collect(),
            _ => Map::new(),
        }
    }

    /// Refuses a move to `loginMode: sso` (from `before`, or at create) on a plan that, with
    /// the overrides, does not grant the `sso` feature (when the catalogue has one). A
    /// tenant already signing in with SSO keeps it whatever its plan.
    pub fn require_sso_grant(
        &self,
        catalogue: &PlanCatalogue,
        plan: &str,
        before: Option<&Self>,
    ) -> Result<(), ApiError> {
        let moving = self.login_mode == LoginMode::Sso
            && before.is_none_or(|b| b.login_mode != LoginMode::Sso);
        let Some(feature) = catalogue.feature("sso").filter(|_| moving) else {
            return Ok(());
        };
        let granted =
            crate::domain::entitlements::effective::effective(catalogue, plan, self, feature)
                .grant
                .is_granted();
        if granted {
            return Ok(());
        }
        Err(ApiError::NotInPlan {
            feature: "sso".to_owned(),
            message: format!(
                "loginMode 'sso' needs the sso feature, which plan '{plan}' does not grant: upgrade the plan, or have a platform admin set overrides.sso to true"
            ),
        })
    }
}
