// Client-side navigation between the server-rendered pages (the islands build; see README,
// "Performance"). A click on a link of this app, or a GET form, fetches the next page's HTML,
// puts its <body> in place of this one and hydrates its islands: the document, the WebAssembly
// module and what it keeps (toasts, a selection) stay, so no page loads in full. Everything else
// (other sites, downloads, rel="external", /api/ and /auth/ addresses, POST forms, a failed
// fetch) is left to the browser. Islands call window.__nav(href, replace) to navigate.
// It also loads the module (its files are this script's data-js and data-wasm, see boot.rs) and
// hydrates the first page's islands; body[data-hydrated] is on once every island of the page
// shown is hydrated, including those whose code loads from a chunk of its own.
(() => {
	let latest = 0;
	// Leptos 0.8 keeps what each hydrated island holds for the life of the document (about
	// 90 KB of wasm memory per navigation here: end2end/bench/nav-memory.mjs), so the 200th
	// navigation loads its page in full, which frees it all.
	const FULL_LOAD_EVERY = 200;
	let count = 0;
	const files = document.currentScript.dataset;
	let mod = null;

	const ownPage = (url) =>
		url.origin === location.origin && !/^\/(api|auth|demo|pkg)\//.test(url.pathname);

	async function nav(href, replace) {
		const url = new URL(href, location.href);
		if (!ownPage(url) || ++count >= FULL_LOAD_EVERY) {
			replace ? location.replace(url.href) : location.assign(url.href);
			return;
		}
		const mine = ++latest;
		// The hydration marker (body[data-hydrated]) is off until the next page's islands are.
		document.body.removeAttribute("data-hydrated");
		let resp, html;
		try {
			resp = await fetch(url.href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
			if (!(resp.headers.get("content-type") || "").startsWith("text/html")) throw new Error("not a page");
			html = await resp.text();
		} catch (_) {
			location.assign(url.href);
			return;
		}
		if (mine !== latest) return;
		const next = new DOMParser().parseFromString(html, "text/html");
		const at = new URL(resp.url || url.href);
		at.hash = url.hash;
		if (replace) history.replaceState(null, "", at.href);
		else history.pushState(null, "", at.href);
		show(next, at, mine);
	}

	function show(next, at, mine) {
		document.title = next.title;
		// Scripts parsed here never run: the page's data reaches its islands as their props.
		document.body.replaceChildren(...next.body.childNodes);
		// Before the module has loaded, its first run hydrates whatever page is here then.
		if (mod) hydrateAll(mine);
		const target = at.hash && document.getElementById(decodeURIComponent(at.hash.slice(1)));
		if (target) target.scrollIntoView();
		else window.scrollTo(0, 0);
		document.dispatchEvent(new CustomEvent("pagechange"));
	}

	// Every island of the page, each as soon as its code is here (a lazy island's code is a chunk
	// of its own, fetched by its hydrate function), then the marker, unless the page changed.
	async function hydrateAll(mine) {
		const waits = [];
		for (const el of document.body.querySelectorAll("leptos-island")) {
			const hydrate = mod[el.dataset.component];
			if (!hydrate) {
				console.warn(`no hydrate function for the island ${el.dataset.component}`);
				continue;
			}
			waits.push(Promise.resolve().then(() => hydrate(el)).catch((e) => console.error(e)));
		}
		await Promise.all(waits);
		if (mine === latest) document.body.setAttribute("data-hydrated", "true");
	}

	function boot() {
		import(files.js)
			.then(async (m) => {
				await m.default({ module_or_path: files.wasm });
				m.hydrate();
				mod = m;
				// Whatever page is here now (a navigation may have happened meanwhile).
				hydrateAll(latest);
			})
			.catch((e) => console.error("the page's scripts did not load", e));
	}
	if (document.readyState === "loading") addEventListener("DOMContentLoaded", boot);
	else boot();

	window.__nav = nav;

	addEventListener("click", (ev) => {
		if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
		const a = ev.target instanceof Element ? ev.target.closest("a[href]") : null;
		if (!a || a.target || a.hasAttribute("download")) return;
		if ((a.getAttribute("rel") || "").split(/\s+/).includes("external")) return;
		const url = new URL(a.href, location.href);
		if (!ownPage(url)) return;
		// A link within this page (the skip link) stays the browser's.
		const here = url.pathname === location.pathname && url.search === location.search;
		if (url.hash && here) return;
		ev.preventDefault();
		// A link to the page shown changes nothing, as it did in the single-page build.
		if (!here) nav(url.href, false);
	});

	addEventListener("submit", (ev) => {
		const form = ev.target;
		if (ev.defaultPrevented || !(form instanceof HTMLFormElement) || form.target) return;
		// Only the plain GET forms the server renders; the islands' own forms handle themselves.
		if ((form.getAttribute("method") || "").toLowerCase() !== "get") return;
		const url = new URL(form.action, location.href);
		if (!ownPage(url)) return;
		url.search = new URLSearchParams(new FormData(form, ev.submitter)).toString();
		ev.preventDefault();
		nav(url.href, false);
	});

	addEventListener("popstate", () => nav(location.href, true));
})();
