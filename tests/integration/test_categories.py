"""Hierarchical categories beside tags (src/site/category.c, admin/
categories.c, the editor, the article API, web /category/SLUG): made with
a parent in the API and the admin (a select, no typed ids), articles filed
by checkboxes or "categories": [slugs], a parent's page listing its
children's articles, the same input rules everywhere (unknown slug, bad
name, taken slug) with nothing changed on an error."""
import urllib.parse

import jm


def test_api_categories_and_article_field(server, api):
    r = api.post("/api/v1/categories", {"name": "読書"})
    assert r.status == 201, r.text
    top = r.json()
    assert top["slug"] == "読書" and top["parent"] is None
    r = api.post("/api/v1/categories", {"name": "小説", "slug": "novel", "parent": "読書"})
    assert r.status == 201, r.text
    assert r.json()["parent"] == "読書"
    r = api.post("/api/v1/categories", {"name": "重複", "slug": "novel"})
    assert r.status == 409
    r = api.post("/api/v1/categories", {"name": "x", "parent": "no-such"})
    assert r.status == 422 and r.json()["error"]["field"] == "parent"
    r = api.post("/api/v1/categories", {"name": ""})
    assert r.status == 422 and r.json()["error"]["field"] == "name"
    items = api.get("/api/v1/categories").json()["items"]
    slugs = [c["slug"] for c in items]
    assert slugs.index("読書") < slugs.index("novel")
    assert [c for c in items if c["slug"] == "novel"][0]["depth"] == 1

    r = api.post("/api/v1/articles", {"title": "村上春樹を読む", "status": "published",
                                      "categories": ["novel"]})
    assert r.status == 201, r.text
    art = r.json()
    assert art["categories"] == ["novel"]
    r = api.patch("/api/v1/articles/%d" % art["id"], {"categories": ["no-such"]})
    assert r.status == 422 and r.json()["error"]["field"] == "categories"
    assert api.get("/api/v1/articles/%d" % art["id"]).json()["categories"] == ["novel"]
    r = api.patch("/api/v1/articles/%d" % art["id"], {"categories": "novel"})
    assert r.status == 422

    c = server.client()
    r = c.get("/category/" + urllib.parse.quote("読書"))  # the parent shows its child's article
    assert r.status == 200 and "村上春樹を読む" in r.text
    r = c.get(art["url"].replace(server.base, ""))
    assert 'href="/category/novel">小説</a>' in r.text

    r = api.patch("/api/v1/articles/%d" % art["id"], {"categories": []})
    assert r.status == 200 and r.json()["categories"] == []
    assert c.get("/category/novel").status == 404


def test_admin_categories_page_and_editor(server, admin):
    r, f = admin.get_form("/admin/categories", action="/admin/categories")
    r = admin.submit(f, {"name": "旅行", "slug": "travel"})
    assert r.status == 200 and 'id="flash"' in r.text
    r, f = admin.get_form("/admin/categories", action="/admin/categories")
    assert '<option value="travel">旅行</option>' in r.text
    r = admin.submit(f, {"name": "京都", "slug": "kyoto", "parent": "travel"})
    assert r.status == 200
    assert jm.q1(server.data_dir, "SELECT p.slug FROM categories c JOIN categories p "
                                  "ON p.id = c.parent_id WHERE c.slug = 'kyoto'") == "travel"
    # a bad name: 422, the error beside the field, nothing stored
    n = jm.q1(server.data_dir, "SELECT count(*) FROM categories")
    r, f = admin.get_form("/admin/categories", action="/admin/categories")
    r = admin.submit(f, {"name": "", "slug": "empty-name"})
    assert r.status == 422 and 'id="cat-name-error"' in r.text
    assert jm.q1(server.data_dir, "SELECT count(*) FROM categories") == n

    r, f = admin.get_form("/admin/articles/new", action="/admin/articles")
    assert 'name="categories" value="kyoto"' in r.text and "– 京都" in r.text
    r = admin.submit(f, {"title": "紅葉の京都", "body": "本文", "categories": ["kyoto"],
                         "action": "publish"})
    assert r.status == 200, r.text[:2000]
    aid = jm.q1(server.data_dir, "SELECT id FROM articles WHERE title = '紅葉の京都'")
    r, f = admin.get_form("/admin/articles/%d" % aid, action="/admin/articles/%d" % aid)
    assert 'value="kyoto" checked' in r.text
    assert server.client().get("/category/travel").status == 200
    # unchecking every box clears them
    r = admin.submit(f, {"categories": None, "action": "save"})
    assert r.status == 200
    assert jm.q1(server.data_dir, "SELECT count(*) FROM article_categories WHERE "
                                  "article_id = ?", aid) == 0

    cid = jm.q1(server.data_dir, "SELECT id FROM categories WHERE slug = 'travel'")
    r, f = admin.get_form("/admin/categories", action="/admin/categories/%d/delete" % cid)
    r = admin.submit(f)
    assert r.status == 200
    assert jm.q1(server.data_dir, "SELECT parent_id FROM categories WHERE slug = 'kyoto'") \
        is None
