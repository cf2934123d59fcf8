//! The policy a pass works with: the rules and templates, loaded and checked together (rules
//! name templates). The daemon loads it at start, `reload` on SIGHUP, the commands that
//! classify or compose when they start.

use crate::compose::Templates;
use crate::config::Settings;
use crate::rules::RuleSet;

/// Rules and templates, loaded and checked together.
pub struct Loaded {
    pub rules: RuleSet,
    pub templates: Templates,
}

/// Every problem found in the templates or the rules, one `file:line:col: message` each.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct Problems(pub Vec<String>);

/// Loads templates then rules; every problem is reported at once.
pub fn load(settings: &Settings) -> Result<Loaded, Problems> {
    let lines = |all: &mut dyn Iterator<Item = String>| Problems(all.collect());
    let templates = Templates::load(&settings.templates_dir)
        .map_err(|errors| lines(&mut errors.iter().map(ToString::to_string)))?;
    let rules = RuleSet::load(&settings.rules_dir, &|name| templates.exists(name))
        .map_err(|problems| lines(&mut problems.iter().map(ToString::to_string)))?;
    Ok(Loaded { rules, templates })
}

/// Retrains the rules' second opinion on staff's corrections (`deskmail reclassify`) kept in
/// the database, so a category staff corrected once weighs in the next time. Returns how many
/// corrections it learnt from.
pub fn learn_corrections(
    loaded: &mut Loaded,
    store: &crate::store::Store,
) -> Result<usize, crate::store::StoreError> {
    let corrections: Vec<crate::rules::model::Example> = store
        .corrections()?
        .into_iter()
        .map(|c| {
            // The ticket's language; a tag this version does not know is read from the text.
            let language = crate::parse::lang::Language::from_tag(&c.language)
                .unwrap_or_else(|| crate::parse::lang::detect(&c.text));
            crate::rules::model::Example { category: c.category, text: c.text, language }
        })
        .collect();
    if corrections.is_empty() {
        return Ok(0);
    }
    let learnt = loaded.rules.learn(&corrections);
    tracing::info!(corrections = learnt, "the second opinion learnt from staff's corrections");
    Ok(learnt)
}
