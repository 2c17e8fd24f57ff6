/** The page: a header (who is signed in, sign out), the board and the floating chat. */
import { useEffect, useState } from 'react';
import Board from './board/Board.jsx';
import ChatWidget from './chat/ChatWidget.jsx';
import { LOGOUT_URL, api, csrfToken } from './lib/api.js';
import './App.css';

export default function App() {
  const [user, setUser] = useState(null);

  useEffect(() => {
    api
      .me()
      .then(setUser)
      .catch(() => setUser(null));
  }, []);

  return (
    <div className="app">
      <header className="app-header">
        <h1 className="app-title">Leads</h1>
        {user && (
          <span className="app-user">
            Signed in as <strong data-testid="username">{user.username}</strong>
          </span>
        )}
        {/* A real form post: Django's LogoutView takes POST with the CSRF token, then redirects. */}
        <form method="post" action={LOGOUT_URL} onSubmit={(e) => (e.currentTarget.csrfmiddlewaretoken.value = csrfToken())}>
          <input type="hidden" name="csrfmiddlewaretoken" defaultValue="" />
          <button type="submit" className="btn">
            Sign out
          </button>
        </form>
      </header>
      {/* The chat launcher comes early in the focus order (it is fixed bottom-right on screen). */}
      <ChatWidget />
      <Board />
    </div>
  );
}
