//! The guided lesson's texts: one step per section of chapter 11.1–11.8, in English and
//! Japanese. Our own words. Both languages fill the same structs, so the compiler refuses a
//! step, a choice or a label that one language lacks.

use super::lang::Lang;

/// Steps 1–7: an idea, a prediction, a run on the real server, and why it came out so.
pub const RUN_STEPS: usize = 7;

pub struct LessonTexts {
    /// The steps' navigation.
    pub nav: &'static str,
    /// The previous and next links under a step.
    pub nav_neighbours: &'static str,
    /// "Step {} of 8".
    pub step_of: &'static str,
    pub previous: &'static str,
    pub next: &'static str,
    /// The sandbox with this step's switches.
    pub open_setup: &'static str,
    pub done_mark: &'static str,
    pub predict: &'static str,
    pub run: &'static str,
    pub running: &'static str,
    pub reloading: &'static str,
    pub pick_first: &'static str,
    /// "You said “{}”."
    pub you_said: &'static str,
    /// "The server: “{}”."
    pub server_did: &'static str,
    /// Step 4 asks the decision guide, not the server: "The guide: “{}”."
    pub guide_did: &'static str,
    /// Step 2 watches what the page does after a reload: "The page: “{}”."
    pub page_did: &'static str,
    /// Between the sentences of the result line (Japanese needs none).
    pub gap: &'static str,
    pub matched: &'static str,
    pub missed: &'static str,
    pub unexpected: &'static str,
    pub failed: &'static str,
    pub why: &'static str,
    pub try_next: &'static str,
    pub steps: [StepTexts; RUN_STEPS],
    pub code: CodeTexts,
    pub issued: IssuedTexts,
    pub quiz_step: QuizStepTexts,
}

/// Step 3's "try next": two issued keys the server must refuse.
pub struct IssuedTexts {
    pub heading: &'static str,
    pub expired: &'static str,
    pub altered: &'static str,
    /// "HTTP {}: {}" — the status and the server's problem title.
    pub result: &'static str,
}

pub struct StepTexts {
    pub section: &'static str,
    pub title: &'static str,
    /// Two or three sentences: the idea, before anything to click.
    pub idea: &'static str,
    pub question: &'static str,
    pub choices: [&'static str; 3],
    /// The figures the run measured, filled in with `{}` in order.
    pub evidence: &'static str,
    pub why: &'static str,
    pub try_next: &'static str,
}

/// Step 5: the page's own retry loop, with the key's creation inside or outside it.
pub struct CodeTexts {
    pub heading: &'static str,
    pub key_inside: &'static str,
    pub comment_once: &'static str,
    pub comment_saved: &'static str,
    pub comment_inside: &'static str,
    pub comment_refusal: &'static str,
    pub naive: &'static str,
    pub naive_4xx: &'static str,
    pub naive_retry_after: &'static str,
    pub naive_jitter: &'static str,
}

/// Step 8: the chapter's exercise, graded by the quiz itself.
pub struct QuizStepTexts {
    pub section: &'static str,
    pub title: &'static str,
    pub idea: &'static str,
    pub try_next: &'static str,
}

pub fn texts(lang: Lang) -> &'static LessonTexts {
    match lang {
        Lang::En => &EN,
        Lang::Ja => &JA,
    }
}

pub static EN: LessonTexts = LessonTexts {
    nav: "Lesson steps",
    nav_neighbours: "Previous and next step",
    step_of: "Step {} of 8",
    previous: "Previous step",
    next: "Next step",
    open_setup: "Open this setup in the sandbox",
    done_mark: "done",
    predict: "Your prediction",
    run: "Run it",
    running: "Running against the server…",
    reloading: "Reloading the page mid-request…",
    pick_first: "Pick a prediction first: it is easier to learn from a guess you committed to.",
    you_said: "You said “{}”.",
    server_did: "The server: “{}”.",
    guide_did: "The guide: “{}”.",
    page_did: "The page: “{}”.",
    gap: " ",
    matched: "As you predicted.",
    missed: "Not what you predicted.",
    unexpected: "The run did not end the way this step expects (was something else running?). Run it again.",
    failed: "The run could not finish: {}",
    why: "Why",
    try_next: "Try next",
    steps: [
        StepTexts {
            section: "11.1",
            title: "One operation, one key",
            idea: "A request can succeed on the server and still look failed to the client: the answer is lost on the way back. The client cannot tell, so it sends again. The idempotency key lets the server recognise that resend: it names the operation, so every attempt of one order carries the same key.",
            question: "The first answer is lost and the page sends again with the same key. How many orders will the server keep?",
            choices: ["One", "Two", "None"],
            evidence: "Attempts: {}. Orders the server kept for you: {}.",
            why: "Every attempt carried the same key. While the first one was still running, the server answered the resend with 409 (come back later); once it had finished, it returned its stored 201 instead of ordering again.",
            try_next: "In the sandbox, let the page make a new key for every retry (accident 1) and run the same thing: two orders.",
        },
        StepTexts {
            section: "11.2",
            title: "Client-generated keys",
            idea: "Here the page makes the key itself, a random UUID v4, once per operation and before the first attempt leaves. It must keep that key where a reload cannot lose it: this lab saves it in sessionStorage together with the pending order.",
            question: "The page is reloaded while the order is on its way. What does it send after the reload?",
            choices: ["The same key again", "A new key", "Nothing: the order is forgotten"],
            evidence: "Key before the reload: {}, key after it: {}; orders the server kept for you: {}.",
            why: "The key was saved before the request left, so the reloaded page found the pending order and sent it again with that key. The server recognised the key: one order.",
            try_next: "Reload by hand in the sandbox while an order runs, or open the page in a second tab: sessionStorage belongs to one tab, so the other tab starts its own operation.",
        },
        StepTexts {
            section: "11.3",
            title: "Server-issued keys",
            idea: "Here the page first asks the server for a key (POST /orders/prepare), then orders with it. The server decides the key's form and lifetime, at the cost of one more round trip, and the page still has to keep the key it was given.",
            question: "The first request for a key fails. Does the order still happen exactly once?",
            choices: ["Yes, one order", "No order", "Two orders"],
            evidence: "Requests for a key: {}. Orders the server kept for you: {}. The issued key is valid until {}.",
            why: "Asking for a key creates nothing, so the page could simply ask again. It then sent every attempt with the one key it was issued. That key carries its own expiry and a signature, so the server can check it without storing it.",
            try_next: "Send an order with an issued key that has already expired, and with one that has a single character altered: the server refuses both with 400.",
        },
        StepTexts {
            section: "11.4",
            title: "Which one to choose",
            idea: "Client-generated keys fit most cases: the client that retries is the one that knows where an operation begins. Server-issued keys pay off when many kinds of clients call you, or when the server must decide how long a key lives.",
            question: "A shop's checkout page retries by itself over a shaky mobile network, and nothing else calls the API. Which design does the guide below recommend?",
            choices: ["Client-generated keys", "Server-issued keys", "No clear winner"],
            evidence: "The run ticked {} of the guide's four boxes for this case; its verdict is shown below.",
            why: "The one who retries is the page itself, and there is only one kind of client, so nothing justifies the extra round trip of a prepare call.",
            try_next: "Tick “Many kinds of clients call the API” and “You must control exactly how long a key stays valid” in the guide and watch the verdict change.",
        },
        StepTexts {
            section: "11.5",
            title: "What the client must do",
            idea: "A careful client makes the key once, outside its retry loop; waits as long as a 409's Retry-After asks; retries only what may succeed later (no answer, 5xx, 409), never a 4xx refusal; and spreads its retries with random jitter. Below is this page's own loop.",
            question: "The first answer is lost. With the key made where the switch puts it, how many orders will the server keep?",
            choices: ["One", "Two", "None"],
            evidence: "Keys used: {}. Orders the server kept for you: {}.",
            why: "Made before the loop, the key is the same on every retry, and the server keeps one order. Made inside the loop, every retry looks like a new operation, and the order of the attempt whose answer was lost stays too: two.",
            try_next: "Flip the switch and run again, then compare the keys in the attempts table.",
        },
        StepTexts {
            section: "11.6",
            title: "The server's two refusals",
            idea: "The server guards the rule too. A key that comes back with a different body is refused with 422: the client has mixed up two operations. A request that needs a key and has none is refused with 400 instead of running unprotected.",
            question: "The page orders once, then sends the same key with a different quantity. What comes back?",
            choices: ["201: a second order", "201: the first order, replayed", "422: refused"],
            evidence: "The send with the same key and another quantity: HTTP {}. A send with no key at all: HTTP {}.",
            why: "The server stored a fingerprint of the first body with the key. A different body under the same key is refused rather than run, and the first order stays as it was. The request without a key was refused before anything happened.",
            try_next: "In the sandbox, set the quantity back to the first one and press “Place order”: the same key with the first body is a replay, not a new order. “Send again with the same key” would repeat the refused body as it was, and be refused again.",
        },
        StepTexts {
            section: "11.7",
            title: "Three common accidents",
            idea: "Making a new key for every retry turns one order into two. Using one key per user for every order quietly swallows a second identical order: the server replays the first (a different one would get 422). And crypto.randomUUID() exists only in a secure context (HTTPS or localhost).",
            question: "Which accident causes a silent duplicate, and which a silent lost order?",
            choices: [
                "A new key per retry duplicates; one key per user loses an order",
                "A new key per retry loses an order; one key per user duplicates",
                "Both cause duplicates",
            ],
            evidence: "A new key per retry, one click: {} orders. One key per user, two orders placed: {} kept.",
            why: "With a new key per retry the server sees two operations and performs both. With one key per user the second order looks like a resend of the first and gets the first one's stored answer: the shop believes it ordered twice, and the server has one order.",
            try_next: "Switch each accident on in the sandbox and place a few orders; then switch it off again.",
        },
    ],
    code: CodeTexts {
        heading: "This page's retry loop",
        key_inside: "Make the key inside the loop (accident 1)",
        comment_once: "once per operation",
        comment_saved: "saved first: a reload resumes with it",
        comment_inside: "wrong: every retry is a new operation",
        comment_refusal: "refused: resending changes nothing",
        naive: "What a naive retry loop gets wrong",
        naive_4xx: "It retries a 4xx. A 400 or 422 will be refused again; the retries only add load.",
        naive_retry_after: "It ignores Retry-After. Asking again during a 409 only earns another 409.",
        naive_jitter: "It waits without jitter. Clients that failed together retry together and fail together.",
    },
    issued: IssuedTexts {
        heading: "Two issued keys the server must refuse",
        expired: "Order with a key that expired before use",
        altered: "Order with an issued key, one character altered",
        result: "HTTP {}: {}",
    },
    quiz_step: QuizStepTexts {
        section: "11.8",
        title: "Test yourself",
        idea: "The chapter's exercise, in two questions. Answer, read why, then check the second one against the live server.",
        try_next: "Open the sandbox: every switch is yours now.",
    },
};

pub static JA: LessonTexts = LessonTexts {
    nav: "レッスンのステップ",
    nav_neighbours: "前後のステップ",
    step_of: "ステップ {} / 8",
    previous: "前のステップ",
    next: "次のステップ",
    open_setup: "この設定をサンドボックスで開く",
    done_mark: "完了",
    predict: "あなたの予想",
    run: "実行する",
    running: "サーバーで実行しています…",
    reloading: "リクエストの途中でページを再読み込みしています…",
    pick_first: "先に予想を選んでください。決めてから結果を見るほうが身につきます。",
    you_said: "あなたの予想は「{}」でした。",
    server_did: "サーバーの結果は「{}」です。",
    guide_did: "ガイドの判定は「{}」です。",
    page_did: "ページの動きは「{}」でした。",
    gap: "",
    matched: "予想どおりです。",
    missed: "予想とは違いました。",
    unexpected: "このステップで想定した結果になりませんでした（ほかの処理が動いていませんでしたか？）。もう一度実行してください。",
    failed: "実行を最後まで終えられませんでした: {}",
    why: "なぜ？",
    try_next: "次に試すこと",
    steps: [
        StepTexts {
            section: "11.1",
            title: "1 つの操作に 1 つのキー",
            idea: "サーバーでは成功したリクエストでも、応答が帰り道で失われると、クライアントには失敗に見えます。クライアントにはどちらか分からないので、もう一度送ります。冪等キーは操作に付ける名前です。1 件の注文の試行にはすべて同じキーが付くので、サーバーはそれが再送だと見分けられます。",
            question: "最初の応答が失われ、ページは同じキーで再送します。サーバーに残る注文は何件でしょう？",
            choices: ["1 件", "2 件", "0 件"],
            evidence: "試行: {} 回。サーバーに残ったあなたの注文: {} 件。",
            why: "どの試行にも同じキーが付いていました。最初の試行がまだ処理中のあいだ、サーバーは再送に 409（しばらくしてから再送してください）を返しました。処理が終わったあとは、注文をやり直さずに、保存済みの 201 を返しました。",
            try_next: "サンドボックスで、再送のたびに新しいキーを作る設定（事故 1）にして同じ手順を試すと、注文が 2 件できます。",
        },
        StepTexts {
            section: "11.2",
            title: "クライアント生成のキー",
            idea: "この方式では、ページ自身がキー（ランダムな UUID v4）を作ります。作るのは操作ごとに 1 回、最初の試行を送る前です。キーは再読み込みで消えない場所に保管しなければなりません。この実験室では、保留中の注文と一緒に sessionStorage に保存しています。",
            question: "注文を送っている途中でページが再読み込みされます。再読み込みのあと、ページは何を送るでしょう？",
            choices: ["同じキーをもう一度送る", "新しいキーを送る", "何も送らない（注文を忘れてしまう）"],
            evidence: "再読み込み前のキー: {}。再読み込み後のキー: {}。サーバーに残ったあなたの注文: {} 件。",
            why: "キーはリクエストを送る前に保存されていたので、再読み込み後のページは保留中の注文を見つけ、そのキーで再送しました。サーバーはそのキーを覚えていたので、注文は 1 件です。",
            try_next: "サンドボックスで、注文の処理中に自分でページを再読み込みしたり、2 つ目のタブでページを開いたりしてみてください。sessionStorage はタブごとのものなので、2 つ目のタブは別の操作を始めます。",
        },
        StepTexts {
            section: "11.3",
            title: "サーバー生成のキー",
            idea: "この方式では、ページはまずサーバーにキーを発行してもらい（POST /orders/prepare）、そのキーで注文します。キーの形式と有効期間をサーバーが決められる代わりに、往復が 1 回増えます。また、受け取ったキーはやはりページが保管しなければなりません。",
            question: "最初のキー発行リクエストが失敗します。それでも注文はちょうど 1 回だけ行われるでしょうか？",
            choices: ["はい、注文は 1 件", "いいえ、注文は 0 件", "いいえ、注文は 2 件"],
            evidence: "キー発行のリクエスト: {} 回。サーバーに残ったあなたの注文: {} 件。発行されたキーの有効期限: {}。",
            why: "キーの発行を頼んでも何も作られないので、ページはもう一度頼むだけで済みました。そのあとは、発行された 1 つのキーですべての試行を送りました。このキーには有効期限と署名が含まれているので、サーバーはキーを保存しなくても検証できます。",
            try_next: "すでに期限切れになった発行キーや、文字を書き換えた発行キーで注文を送ってみてください。サーバーはどちらも 400 で拒否します。",
        },
        StepTexts {
            section: "11.4",
            title: "どちらを選ぶか",
            idea: "ほとんどの場合はクライアント生成が合います。操作がどこから始まるかを知っているのは、再送するクライアント自身だからです。サーバー生成が割に合うのは、さまざまな種類のクライアントから呼ばれるときや、キーの有効期間をサーバーが決めなければならないときです。",
            question: "ネットショップの購入画面が、不安定なモバイル回線越しに自分で再送します。API を呼ぶのはこの画面だけです。下のガイドが勧めるのはどちらでしょう？",
            choices: ["クライアント生成のキー", "サーバー生成のキー", "どちらとも言えない"],
            evidence: "ガイドの 4 項目のうち、この場合に当てはまる {} 項目にチェックを入れました。判定は下のとおりです。",
            why: "再送するのはページ自身で、クライアントの種類も 1 つだけです。prepare 呼び出しで往復を 1 回増やす理由はありません。",
            try_next: "ガイドの「さまざまな種類のクライアント」と「キーの有効期間を厳密に管理する」の項目にチェックを入れて、判定が変わるのを確かめてください。",
        },
        StepTexts {
            section: "11.5",
            title: "クライアントがすべきこと",
            idea: "注意深いクライアントは、キーを再送ループの外で 1 回だけ作ります。409 なら Retry-After の指定どおりに待ちます。再送するのはあとで成功しうるもの（応答なし、5xx、409）だけで、4xx の拒否は再送しません。再送の時期はランダムなゆらぎ（ジッター）でずらします。下はこのページのループです。",
            question: "最初の応答が失われます。スイッチで選んだ場所でキーを作る場合、サーバーに残る注文は何件でしょう？",
            choices: ["1 件", "2 件", "0 件"],
            evidence: "使ったキー: {} 個。サーバーに残ったあなたの注文: {} 件。",
            why: "ループの前で作ったキーはどの再送でも同じなので、注文は 1 件です。ループの中で作ると、再送のたびに新しい操作に見えるうえ、応答が失われた試行の注文もそのまま残るので、2 件になります。",
            try_next: "スイッチを切り替えてもう一度実行し、「試行の記録」でキーを見比べてください。",
        },
        StepTexts {
            section: "11.6",
            title: "サーバーの 2 つの拒否",
            idea: "サーバーの側でもこのルールを守らせます。使用済みのキーが違う内容で届いたら、422 で拒否します。クライアントが 2 つの操作を混同しているからです。キーが必要なのに付いていないリクエストは、保護なしで実行せずに 400 で拒否します。",
            question: "ページが 1 回注文し、続けて同じキーで数量だけ変えて送ります。何が返ってくるでしょう？",
            choices: ["201: 2 件目の注文を作成", "201: 1 件目の注文をリプレイ", "422: 拒否"],
            evidence: "同じキーで数量を変えた送信: HTTP {}。キーを付けない送信: HTTP {}。",
            why: "サーバーはキーと一緒に、最初のリクエストの内容のフィンガープリントを保存しています。同じキーで違う内容が届くと、実行せずに拒否するので、最初の注文は元のまま残ります。キーのないリクエストは、何も処理される前に拒否されました。",
            try_next: "サンドボックスで数量を最初の値に戻し、「注文する」を押してください。同じキーで最初と同じ内容なのでリプレイになり、新しい注文は作られません。「同じキーで再送する」は拒否された内容をそのまま送り直すので、また拒否されます。",
        },
        StepTexts {
            section: "11.7",
            title: "よくある 3 つの事故",
            idea: "再送のたびに新しいキーを作ると、1 件の注文が 2 件になります。ユーザーごとに 1 つのキーを全注文で使い回すと、同じ内容の 2 件目の注文が知らないうちに消えます。サーバーが 1 件目の応答をリプレイするからです（内容が違えば 422 になります）。crypto.randomUUID() は安全なコンテキスト（HTTPS か localhost）にしか存在しません。",
            question: "注文が知らないうちに重複するのはどちらの事故で、消えるのはどちらでしょう？",
            choices: [
                "再送ごとに新しいキーだと重複し、ユーザーごとに 1 つのキーだと注文が消える",
                "再送ごとに新しいキーだと注文が消え、ユーザーごとに 1 つのキーだと重複する",
                "どちらも重複する",
            ],
            evidence: "再送ごとに新しいキー（クリック 1 回）: 注文 {} 件。ユーザーごとに 1 つのキー（注文 2 回）: 残った注文 {} 件。",
            why: "再送ごとに新しいキーを作ると、サーバーには 2 つの操作に見えるので、両方を実行します。ユーザーごとに 1 つのキーだと、2 件目の注文は 1 件目の再送に見えるので、1 件目の保存済みの応答が返ります。ショップ側は 2 回注文したつもりでも、サーバーにある注文は 1 件です。",
            try_next: "サンドボックスで事故のスイッチを 1 つずつオンにして何回か注文し、終わったらオフに戻してください。",
        },
    ],
    code: CodeTexts {
        heading: "このページの再送ループ",
        key_inside: "キーをループの中で作る（事故 1）",
        comment_once: "操作ごとに 1 回",
        comment_saved: "先に保存: 再読み込み後もこのキーで再開",
        comment_inside: "誤り: 再送のたびに新しい操作になる",
        comment_refusal: "拒否: もう一度送っても結果は変わらない",
        naive: "素朴な再送ループがやりがちな誤り",
        naive_4xx: "4xx の再送。400 や 422 は何度送っても拒否されるので、再送は負荷を増やすだけです。",
        naive_retry_after: "Retry-After の無視。409 が返っている間に再送しても、また 409 が返るだけです。",
        naive_jitter: "ジッターなしの待機。同時に失敗したクライアントは同時に再送し、また同時に失敗します。",
    },
    issued: IssuedTexts {
        heading: "サーバーが拒否すべき 2 つの発行キー",
        expired: "使う前に期限切れになった発行キーで注文する",
        altered: "1 文字だけ書き換えた発行キーで注文する",
        result: "HTTP {}: {}",
    },
    quiz_step: QuizStepTexts {
        section: "11.8",
        title: "力試し",
        idea: "章末の演習を 2 問にまとめました。答えてから理由を読み、2 問目は実際のサーバーでも確かめてください。",
        try_next: "サンドボックスを開きましょう。ここからは、どのスイッチも自由に使えます。",
    },
};
