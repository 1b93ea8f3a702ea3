use crate::cmap;

#[test]
fn list_names_every_structure_with_capabilities_and_every_preset() {
    let dir = tempfile::tempdir().unwrap();
    let out = cmap(dir.path(), &["list"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for name in [
        "locked",
        "sharded",
        "cow",
        "cow-full-copy",
        "skiplist",
        "dashmap",
        "papaya",
        "scc",
        "crossbeam-skipmap",
        "std-rwlock",
        "null",
    ] {
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().next() == Some(name)),
            "{name} missing from:\n{text}"
        );
    }
    let skiplist = text
        .lines()
        .find(|l| l.trim_start().starts_with("skiplist "))
        .unwrap();
    assert!(skiplist.contains("ordered") && skiplist.contains("snapshots"));
    let locked = text
        .lines()
        .find(|l| l.trim_start().starts_with("locked "))
        .unwrap();
    assert!(!locked.contains("ordered"));
    for preset in [
        "read-heavy",
        "exchange",
        "rapid-grow",
        "ycsb-a",
        "ycsb-b",
        "ycsb-c",
        "ycsb-d",
        "ycsb-e",
        "ycsb-f",
        "read-60",
        "read-80",
        "read-95",
        "snapshot-churn",
    ] {
        assert!(text.contains(preset), "{preset} missing");
    }
    assert!(text.contains("suites (--suite)"), "{text}");
    assert!(text.contains("  full "), "{text}");
}
