{
  // Labels every object of the app gets.
  standard(app, env):: {
    'app.kubernetes.io/name': app,
    'app.kubernetes.io/part-of': 'gitopslib-examples',
    environment: env,
  },
}
