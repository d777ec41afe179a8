SELECT turns, final_user_turn FROM queries WHERE query_id = ?
