//! The compiled form of one policy ([`Compiled`]) and the [`Builder`] the generated code
//! (`$OUT_DIR/tenants_policies.rs`, from `shared/build.rs`) and [`super::Policies::parse`]
//! make policies with.

use cedar_policy_core::ast::{Effect, Eid, EntityType, EntityUID, Expr, Policy, PolicyID};

use super::Action;

/// One policy, ready to evaluate.
pub(super) struct Compiled {
    /// Cedar's id for it (`policy0`, ...), in file order.
    pub(super) id: &'static str,
    /// Its `@id`.
    pub(super) name: &'static str,
    pub(super) effect: Effect,
    /// The actions its scope admits; `None`: any.
    pub(super) actions: Option<&'static [&'static str]>,
    pub(super) policy: Policy,
}

impl Compiled {
    /// Whether this policy's scope admits `action`.
    pub(super) fn admits(&self, action: Action) -> bool {
        self.actions
            .is_none_or(|actions| actions.contains(&action.name()))
    }
}

/// Builds what the generated code asks for: entity types (made once each) and policies.
pub(super) struct Builder {
    types: Vec<(&'static str, EntityType)>,
}

impl Builder {
    pub(super) fn new<'a>(
        names: impl IntoIterator<Item = &'a &'static str>,
    ) -> Result<Self, String> {
        let mut types: Vec<(&'static str, EntityType)> = Vec::new();
        for &name in names {
            if types.iter().all(|(n, _)| *n != name) {
                let ty = EntityType::from_normalized_str(name).map_err(|e| e.to_string())?;
                types.push((name, ty));
            }
        }
        Ok(Self { types })
    }

    pub(super) fn entity_type(&self, name: &str) -> Result<EntityType, String> {
        self.types
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, ty)| ty.clone())
            .ok_or_else(|| format!("unknown entity type {name}"))
    }

    pub(super) fn uid(&self, ty: &str, id: &str) -> Result<EntityUID, String> {
        Ok(EntityUID::from_components(
            self.entity_type(ty)?,
            Eid::new(id),
            None,
        ))
    }

    pub(super) fn policy(
        &self,
        id: &'static str,
        name: &'static str,
        effect: Effect,
        actions: Option<&'static [&'static str]>,
        condition: Expr,
    ) -> Compiled {
        Compiled {
            id,
            name,
            effect,
            actions,
            policy: Policy::from_when_clause(effect, condition, PolicyID::from_string(id), None),
        }
    }
}
