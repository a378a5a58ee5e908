"""What workers see of the Deal or No Deal negotiation before and while they do it."""

task_config = {
    "hit_title": "Negotiate how to split a few items",
    "hit_description": "Chat with another worker and agree how to divide books, hats and balls.",
    "hit_keywords": "negotiation,chat,dialog,game",
    "task_description": """
<h2>Deal or no deal</h2>
<p>You and another worker share some books, hats and balls. The <b>Items to divide</b> table,
shown with these instructions, says how many there are and what <b>each item is worth to
you</b>. Everything together is worth 10 points to you; your partner values the items
differently and cannot see your values.</p>
<ul>
  <li>Take turns chatting to agree how to divide the items. Talk, don't just propose.</li>
  <li>To make an offer, choose how many of each item <b>you keep</b> and press
      <b>Propose</b>. Your partner gets the rest.</li>
  <li>When your partner proposes, press <b>Accept</b> or <b>Reject</b> (or propose
      something else).</li>
  <li>If you cannot agree, press <b>No deal</b>: nobody scores.</li>
</ul>
<p>The negotiation ends when a proposal is accepted, someone chooses no deal, or after 20
turns.</p>
""",
    "agent_ids": ["Negotiator1", "Negotiator2"],
    "roles": {
        "Negotiator1": {"label": "Negotiator 1 (speaks first)", "color": "#1f6feb"},
        "Negotiator2": {"label": "Negotiator 2 (speaks second)", "color": "#b35900"},
    },
}
