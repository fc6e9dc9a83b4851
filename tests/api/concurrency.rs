use std::sync::Arc;

use integration_tests::{spawn_app, TestRequest};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_creates_of_one_slug_yield_one_201_and_nineteen_409() {
    let app = Arc::new(spawn_app().await);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let app = Arc::clone(&app);
            tokio::spawn(async move {
                app.post(
                    "/v1/tenants",
                    &json!({"name": format!("Racer {i}"), "slug": "contested"}),
                )
                .await
            })
        })
        .collect();
    let mut created = 0;
    let mut conflicts = 0;
    for task in tasks {
        let response = task.await.unwrap();
        match response.status {
            201 => created += 1,
            409 => {
                assert_eq!(response.code(), "slug_conflict");
                conflicts += 1
            }
            other => panic!("unexpected {other}: {}", response.body),
        }
    }
    assert_eq!((created, conflicts), (1, 19));
    let stats = app.get("/v1/tenants/stats").await;
    assert_eq!(stats.body["total"], 1, "losers left no counter behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_concurrent_patches_with_the_same_if_match_yield_one_200_and_one_412() {
    let app = Arc::new(spawn_app().await);
    let t = app.create_named("if-match-race").await;
    let path = format!("/v1/tenants/{}", t["id"].as_str().unwrap());
    let tasks: Vec<_> = ["first", "second"]
        .into_iter()
        .map(|name| {
            let app = Arc::clone(&app);
            let path = path.clone();
            tokio::spawn(async move {
                app.send(
                    TestRequest::new("PATCH", &path)
                        .header("if-match", "\"1\"")
                        .json(&json!({"name": name})),
                )
                .await
                .status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, [200, 412]);
    assert_eq!(app.get(&path).await.body["version"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_patches_without_if_match_lose_no_update() {
    let app = Arc::new(spawn_app().await);
    let t = app.create_named("no-lost-updates").await;
    let path = format!("/v1/tenants/{}", t["id"].as_str().unwrap());
    let writers = 8;
    let tasks: Vec<_> = (0..writers)
        .map(|i| {
            let app = Arc::clone(&app);
            let path = path.clone();
            tokio::spawn(async move {
                app.patch(&path, &json!({"metadata": {format!("writer{i}"): i}}))
                    .await
                    .status
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    let final_state = app.get(&path).await.body;
    assert_eq!(final_state["version"], 1 + writers);
    assert_eq!(
        final_state["metadata"].as_object().unwrap().len(),
        writers as usize
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_suspends_count_once_in_stats() {
    let app = Arc::new(spawn_app().await);
    let t = app.create_named("suspend-race").await;
    let path = format!("/v1/tenants/{}/suspend", t["id"].as_str().unwrap());
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let app = Arc::clone(&app);
            let path = path.clone();
            tokio::spawn(async move { app.post(&path, &json!({"reason": "race"})).await.status })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    let stats = app.get("/v1/tenants/stats").await.body;
    assert_eq!(stats["byStatus"]["suspended"], 1);
    assert_eq!(stats["byStatus"]["active"], 0);
}
