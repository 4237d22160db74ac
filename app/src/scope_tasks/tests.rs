//! The task list against the catalogue and Microsoft's "Inherits From" table; choosing, un-choosing and searching.

use super::*;
use crate::scopes::SCOPE_AREAS;

fn catalogue(name: &str) -> bool {
    SCOPE_AREAS.iter().any(|(_, scopes)| scopes.iter().any(|s| s.name == name))
}

/// The "Inherits From" column of Microsoft's scope table (`docs/integrate/includes/scopes.md`,
/// 2025-07-16): each scope grants the one it inherits from, so it is the broader one.
const INHERITS: &[(&str, &str)] = &[
    ("vso.advsec_write", "vso.advsec"),
    ("vso.advsec_manage", "vso.advsec_write"),
    ("vso.agentpools_manage", "vso.agentpools"),
    ("vso.environment_manage", "vso.agentpools_manage"),
    ("vso.auditstreams_manage", "vso.auditlog"),
    ("vso.build", "vso.hooks_write"),
    ("vso.build_execute", "vso.build"),
    ("vso.code", "vso.hooks_write"),
    ("vso.code_write", "vso.code"),
    ("vso.code_manage", "vso.code_write"),
    ("vso.code_full", "vso.code_manage"),
    ("vso.memberentitlementmanagement_write", "vso.memberentitlementmanagement"),
    ("vso.extension", "vso.profile"),
    ("vso.extension_manage", "vso.extension"),
    ("vso.extension.data", "vso.profile"),
    ("vso.extension.data_write", "vso.extension.data"),
    ("vso.githubconnections_manage", "vso.githubconnections"),
    ("vso.graph_manage", "vso.graph"),
    ("vso.identity_manage", "vso.identity"),
    ("vso.machinegroup_manage", "vso.agentpools_manage"),
    ("vso.gallery", "vso.profile"),
    ("vso.gallery_acquire", "vso.gallery"),
    ("vso.gallery_publish", "vso.gallery"),
    ("vso.gallery_manage", "vso.gallery_publish"),
    ("vso.notification", "vso.profile"),
    ("vso.notification_write", "vso.notification"),
    ("vso.notification_manage", "vso.notification_write"),
    ("vso.notification_diagnostics", "vso.notification"),
    ("vso.packaging", "vso.profile"),
    ("vso.packaging_write", "vso.packaging"),
    ("vso.packaging_manage", "vso.packaging_write"),
    ("vso.pipelineresources_manage", "vso.pipelineresources_use"),
    ("vso.project_write", "vso.project"),
    ("vso.project_manage", "vso.project_write"),
    ("vso.release", "vso.profile"),
    ("vso.release_execute", "vso.release"),
    ("vso.release_manage", "vso.release_execute"),
    ("vso.securefiles_write", "vso.securefiles_read"),
    ("vso.securefiles_manage", "vso.securefiles_write"),
    ("vso.serviceendpoint", "vso.profile"),
    ("vso.serviceendpoint_query", "vso.serviceendpoint"),
    ("vso.serviceendpoint_manage", "vso.serviceendpoint_query"),
    ("vso.hooks", "vso.profile"),
    ("vso.hooks_write", "vso.hooks"),
    ("vso.hooks_interact", "vso.profile"),
    ("vso.settings_write", "vso.settings"),
    ("vso.symbols", "vso.profile"),
    ("vso.symbols_write", "vso.symbols"),
    ("vso.symbols_manage", "vso.symbols_write"),
    ("vso.taskgroups_write", "vso.taskgroups_read"),
    ("vso.taskgroups_manage", "vso.taskgroups_write"),
    ("vso.dashboards_manage", "vso.dashboards"),
    ("vso.test", "vso.profile"),
    ("vso.test_write", "vso.test"),
    ("vso.profile_write", "vso.profile"),
    ("vso.variablegroups_write", "vso.variablegroups_read"),
    ("vso.variablegroups_manage", "vso.variablegroups_write"),
    ("vso.wiki_write", "vso.wiki"),
    ("vso.work", "vso.hooks_write"),
    ("vso.work_write", "vso.work"),
    ("vso.work_full", "vso.work_write"),
];

/// Whether `broad` grants `narrow`, directly or through a chain of the table.
fn grants(broad: &str, narrow: &str) -> bool {
    INHERITS.iter().any(|(b, n)| *b == broad && (*n == narrow || grants(n, narrow)))
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn task(id: &'static str, scopes: &'static [&'static str]) -> ScopeTask {
    ScopeTask { id, label: id, explain: "", scopes }
}

#[test]
fn every_task_names_catalogue_scopes_and_has_a_usable_id() {
    assert!(SCOPE_TASKS.len() >= 8, "{} tasks", SCOPE_TASKS.len());
    for t in SCOPE_TASKS {
        assert!(!t.scopes.is_empty(), "{}", t.id);
        for s in t.scopes {
            assert!(catalogue(s), "{}: {s} is not in SCOPE_AREAS", t.id);
        }
        assert!(t.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{}", t.id);
        assert!(!t.label.is_empty() && !t.explain.is_empty() && !t.explain.contains('\n'));
    }
    let mut ids: Vec<&str> = SCOPE_TASKS.iter().map(|t| t.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), SCOPE_TASKS.len(), "a task id is used twice");
    for (broad, narrow) in INHERITS {
        assert!(catalogue(broad) && catalogue(narrow), "{broad} {narrow}");
    }
}

#[test]
fn the_named_tasks_take_the_documented_scopes() {
    let scopes_of = |label: &str| SCOPE_TASKS.iter().find(|t| t.label == label).map(|t| t.scopes);
    assert_eq!(scopes_of("Clone and push code"), Some(&["vso.code_write"][..]));
    assert_eq!(scopes_of("Run pipelines"), Some(&["vso.build_execute"][..]));
    assert_eq!(scopes_of("Publish packages"), Some(&["vso.packaging_write"][..]));
    assert_eq!(scopes_of("Register a build agent"), Some(&["vso.agentpools_manage"][..]));
    assert_eq!(scopes_of("Read work items"), Some(&["vso.work"][..]));
}

#[test]
fn no_task_lists_a_scope_and_a_broader_one() {
    assert!(grants("vso.code_write", "vso.code") && grants("vso.code_full", "vso.code"));
    assert!(!grants("vso.code", "vso.code_write") && !grants("vso.code_status", "vso.code"));
    // Stricter than "of the same area": the table's few links across areas count too
    // (Deployment group (read, manage) grants Agent Pools (read, manage)).
    for t in SCOPE_TASKS {
        for a in t.scopes {
            for b in t.scopes {
                assert!(!grants(a, b), "{}: {a} already grants {b}", t.id);
            }
        }
    }
}

#[test]
fn no_task_is_covered_by_another_alone() {
    // Otherwise letting go of a task could leave it chosen: another task would still need it.
    for t in SCOPE_TASKS {
        for o in SCOPE_TASKS.iter().filter(|o| o.id != t.id) {
            assert!(!is_covered(t, &strings(o.scopes)), "{} is inside {}", t.id, o.id);
        }
    }
}

#[test]
fn choosing_two_tasks_selects_their_scopes_and_shows_them_chosen() {
    let (mut selected, mut added) = (Vec::new(), Added::new());
    toggle_task(&mut selected, &mut added, &CLONE_PUSH, SCOPE_TASKS);
    toggle_task(&mut selected, &mut added, &RUN_PIPELINES, SCOPE_TASKS);
    assert_eq!(selected, strings(&["vso.code_write", "vso.build_execute"]));
    let chosen: Vec<&str> = SCOPE_TASKS.iter().filter(|t| is_covered(t, &selected)).map(|t| t.id).collect();
    assert_eq!(chosen, ["clone-push", "run-pipelines"]);
    // Choosing again lets go: only the other task's scope stays.
    toggle_task(&mut selected, &mut added, &CLONE_PUSH, SCOPE_TASKS);
    assert_eq!(selected, strings(&["vso.build_execute"]));
}

#[test]
fn letting_go_keeps_what_was_chosen_by_hand_and_what_another_task_needs() {
    const BOTH: ScopeTask = ScopeTask { id: "both", label: "", explain: "", scopes: &["a", "b"] };
    let all = [BOTH, task("only-b", &["b"]), task("c", &["c"])];
    // "a" chosen by hand first: choosing BOTH adds "b" only, and letting go takes back "b" only.
    let (mut selected, mut added) = (strings(&["a"]), Added::new());
    toggle_task(&mut selected, &mut added, &all[0], &all);
    assert_eq!(selected, strings(&["a", "b"]));
    toggle_task(&mut selected, &mut added, &all[0], &all);
    assert_eq!(selected, strings(&["a"]));
    // "b" is needed by "only-b", chosen too: it stays. A task merely covered keeps nothing.
    let (mut selected, mut added) = (Vec::new(), Added::new());
    toggle_task(&mut selected, &mut added, &all[1], &all);
    toggle_task(&mut selected, &mut added, &all[0], &all);
    toggle_task(&mut selected, &mut added, &all[0], &all);
    assert_eq!(selected, strings(&["b"]));
    let (mut selected, mut added) = (Vec::new(), Added::new());
    toggle_task(&mut selected, &mut added, &all[0], &all);
    assert!(is_covered(&all[1], &selected));
    toggle_task(&mut selected, &mut added, &all[0], &all);
    assert!(selected.is_empty(), "{selected:?}");
}

#[test]
fn a_task_covered_by_hand_lets_go_of_its_scopes() {
    let (mut selected, mut added) = (strings(&["vso.work", "vso.code"]), Added::new());
    assert!(is_covered(&READ_WORK_ITEMS, &selected));
    toggle_task(&mut selected, &mut added, &READ_WORK_ITEMS, SCOPE_TASKS);
    assert_eq!(selected, strings(&["vso.code"]));
    assert!(added.is_empty());
}

fn shown(query: &str) -> Vec<(&'static str, Vec<&'static str>)> {
    let q = normalize_query(query);
    SCOPE_AREAS
        .iter()
        .filter(|(area, scopes)| area_matches(area, scopes, &q))
        .map(|(area, scopes)| {
            (*area, scopes.iter().filter(|s| scope_matches(area, s, &q)).map(|s| s.name).collect())
        })
        .collect()
}

#[test]
fn search_matches_area_label_or_scope_name_ignoring_case() {
    assert_eq!(shown("").len(), SCOPE_AREAS.len());
    assert_eq!(
        shown("packag"),
        [("Packaging", vec!["vso.packaging", "vso.packaging_write", "vso.packaging_manage"])]
    );
    assert_eq!(shown("  VSO.Code_Write "), [("Code", vec!["vso.code_write"])]);
    // The area's name shows all of its scopes.
    assert_eq!(shown("agent pools")[0].1.len(), 3);
    // A label: "Read & execute" (Build) and "Read, write & execute" (Release).
    let execute: Vec<&str> = shown("execute").iter().map(|(a, _)| *a).collect();
    assert_eq!(execute, ["Build", "Release"]);
    assert!(shown("no such scope").is_empty());
    assert!(text_matches("vso.future_thing", "future") && !text_matches("vso.code", "future"));
}
