/* Arabic News Assistant page script (loaded through launch(head=...)).
 *
 * 1. Citation links look like  #cite=<url-encoded source>:<start>:<end>  (the chat's HTML
 *    sanitiser keeps href but drops data-* attributes). A click writes
 *    "source|start|end|nonce" into the hidden #cite-request textbox and fires its input
 *    event; the Python change handler renders the source viewer. The nonce makes a
 *    second click on the same citation count as a change.
 * 2. revealCited() scrolls the highlighted <mark> into view and briefly flashes it; it
 *    runs when a new <mark> appears in the viewer and after each viewer update (the
 *    latter covers a second click on the same citation, which renders nothing new).
 * 3. revealLatestQuestion() scrolls the chat to the start of the newest exchange.
 * 4. Text inputs marked .auto-dir get dir="auto", so Arabic is typed right-to-left and
 *    English left-to-right in the same box.
 * 5. On narrow screens the viewer is a panel under the chat: opening a citation scrolls the
 *    page to that panel, and its "Back to the answer" link scrolls back to the citation.
 * 6. With an LLM, a quote's "Translate to English" link  #translate=<source>:<start>:<end>
 *    is handled like a citation, through the hidden #translate-request textbox: the viewer
 *    shows the machine translation above the article with the quote highlighted.
 */
(() => {
  const BOX = "#cite-request textarea, #cite-request input";
  const TRANSLATE_BOX = "#translate-request textarea, #translate-request input";

  function requestSource(source, start, end, selector = BOX) {
    const box = document.querySelector(selector);
    if (!box) return;
    box.value = [source, start, end, Date.now()].join("|");
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function backToAnswer() {
    const active = document.querySelector("#chat a.cite-active, #summary-result a.cite-active");
    (active || document.querySelector("#chat") || document.body).scrollIntoView({ block: "center" });
  }

  document.addEventListener("click", (event) => {
    const back = event.target.closest && event.target.closest('a[href="#back-to-answer"]');
    if (back) { event.preventDefault(); backToAnswer(); return; }
    const link = event.target.closest && event.target.closest('a[href^="#cite="], a[href^="#translate="]');
    if (!link) return;
    event.preventDefault();
    const href = link.getAttribute("href");
    const translate = href.startsWith("#translate=");
    const [source, start, end] = href.slice(href.indexOf("=") + 1).split(":");
    // The card whose quote is translated is active too ("Back to the answer" returns to it).
    const card = translate && link.parentElement && link.parentElement.querySelector("a.cite");
    document.querySelectorAll("a.cite-active").forEach((a) => a.classList.remove("cite-active"));
    [card, link].forEach((a) => a && a.classList.add("cite-active"));
    requestSource(decodeURIComponent(source), start || "", end || "", translate ? TRANSLATE_BOX : BOX);
  });

  // Scroll the viewer's own box so the <mark> sits in its upper third; then, if the mark is
  // off-screen, scroll the page: on narrow screens to the top of the viewer panel (so the
  // reader sees which article this is), otherwise to the mark itself.
  function offScreen(el) {
    const rect = el.getBoundingClientRect();
    return rect.top < 0 || rect.bottom > window.innerHeight;
  }
  let revealed = null;
  function revealCited() {
    const body = document.querySelector("#source-viewer .viewer-body");
    const mark = body && body.querySelector("mark.cited");
    if (!body) return;
    revealed = mark;
    if (!mark) { body.scrollTop = 0; return; }
    const top = mark.getBoundingClientRect().top - body.getBoundingClientRect().top + body.scrollTop;
    body.scrollTop = Math.max(0, top - body.clientHeight / 3);
    const panel = document.querySelector("#source-viewer .viewer");
    if (offScreen(mark) && panel && window.matchMedia("(max-width: 900px)").matches) {
      panel.scrollIntoView({ block: "start" });
    }
    if (offScreen(mark)) mark.scrollIntoView({ block: "center" });
    mark.classList.remove("flash");
    void mark.offsetWidth;
    mark.classList.add("flash");
  }

  function revealIfNew() {
    const mark = document.querySelector("#source-viewer mark.cited");
    if (mark && mark !== revealed) revealCited();
  }

  // After an answer is complete, scroll the chat so the latest question is at the top:
  // a long cited answer is then read from its beginning, not from its sources list.
  function revealLatestQuestion() {
    const questions = document.querySelectorAll("#chat .question");
    const question = questions[questions.length - 1];
    const wrap = question && question.closest(".bubble-wrap");
    if (!wrap) return;
    const top = question.getBoundingClientRect().top - wrap.getBoundingClientRect().top + wrap.scrollTop;
    wrap.scrollTop = Math.max(0, top - 12);
  }

  function autoDir() {
    document
      .querySelectorAll(".auto-dir textarea:not([dir=auto]), .auto-dir input[type=text]:not([dir=auto])")
      .forEach((el) => el.setAttribute("dir", "auto"));
  }

  new MutationObserver(() => { autoDir(); revealIfNew(); })
    .observe(document.documentElement, { childList: true, subtree: true });
  window.newsAssistant = {
    revealCited: () => setTimeout(revealCited, 60),
    revealLatestQuestion: () => setTimeout(revealLatestQuestion, 150),
    requestSource,
  };
})();
