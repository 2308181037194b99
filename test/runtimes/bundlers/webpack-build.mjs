// webpack's Node API with only an entry and an output, what `npx webpack ./default/main.js` does:
// node webpack-build.mjs <app dir> <out dir>. Prints {errors, warnings} as one JSON line.
import webpack from 'webpack';

const [context, out] = process.argv.slice(2);
const compiler = webpack({ mode: 'production', context, entry: './default/main.js', output: { path: out, filename: 'main.js' } });
compiler.run((error, stats) => {
  if (error) {
    console.error(error);
    process.exit(1);
  }
  const { errors = [], warnings = [] } = stats.toJson({ all: false, errors: true, warnings: true });
  console.log(JSON.stringify({ errors: errors.map((e) => e.message), warnings: warnings.map((w) => w.message) }));
  compiler.close(() => process.exit(errors.length ? 1 : 0));
});
