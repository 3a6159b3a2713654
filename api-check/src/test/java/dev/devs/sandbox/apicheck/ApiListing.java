package dev.devs.sandbox.apicheck;

import java.lang.reflect.AnnotatedType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One line per element of a module's public API, types sorted by name, each followed by its members sorted: each type a user can name (public, or protected and nested
 * in one), with its kind, supertypes and modifiers, then its public and protected constructors, methods and fields
 * with their generic signatures and the JSpecify nullness of their types.
 */
final class ApiListing {

    private ApiListing() {
    }

    static List<String> of(List<String> classNames, ClassLoader loader) throws ClassNotFoundException {
        List<String> lines = new ArrayList<>();
        for (String name : classNames.stream().sorted().collect(Collectors.toList())) {
            if (name.contains(".internal.") || name.matches(".*\\$\\d.*")) {
                continue;
            }
            Class<?> type = Class.forName(name, false, loader);
            if (!isVisible(type)) {
                continue;
            }
            String owner = type.getName();
            lines.add(owner + " " + describeType(type));
            List<String> members = new ArrayList<>();
            for (Constructor<?> c : type.getDeclaredConstructors()) {
                if (isVisible(c) && !c.isSynthetic()) {
                    members.add(owner + "   " + modifiers(c.getModifiers()) + "<init>(" + parameters(c) + ")" + exceptions(c));
                }
            }
            for (Method m : type.getDeclaredMethods()) {
                if (isVisible(m) && !m.isSynthetic() && !m.isBridge()) {
                    members.add(owner + "   " + modifiers(m.getModifiers()) + (m.isDefault() ? "default " : "")
                            + typeParameters(m) + annotated(m.getAnnotatedReturnType()) + " " + m.getName()
                            + "(" + parameters(m) + ")" + exceptions(m));
                }
            }
            for (Field f : type.getDeclaredFields()) {
                if (isVisible(f) && !f.isSynthetic()) {
                    members.add(owner + "   " + modifiers(f.getModifiers()) + annotated(f.getAnnotatedType()) + " " + f.getName());
                }
            }
            members.sort(null);
            lines.addAll(members);
        }
        return lines;
    }

    /** Public, or protected in a type that can be subclassed, and every enclosing type visible too. */
    private static boolean isVisible(Class<?> type) {
        if (type.isAnonymousClass() || type.isLocalClass() || type.isSynthetic()) {
            return false;
        }
        int m = type.getModifiers();
        Class<?> outer = type.getDeclaringClass();
        if (outer == null) {
            return Modifier.isPublic(m);
        }
        return (Modifier.isPublic(m) || Modifier.isProtected(m) && !Modifier.isFinal(outer.getModifiers())) && isVisible(outer);
    }

    private static boolean isVisible(Member member) {
        int m = member.getModifiers();
        return Modifier.isPublic(m) || Modifier.isProtected(m) && !Modifier.isFinal(member.getDeclaringClass().getModifiers());
    }

    private static String describeType(Class<?> type) {
        String kind = type.isAnnotation() ? "@interface" : type.isInterface() ? "interface" : type.isEnum() ? "enum"
                : type.isRecord() ? "record" : "class";
        int mods = type.getModifiers() & (Modifier.PUBLIC | Modifier.PROTECTED | Modifier.STATIC | Modifier.FINAL
                | (type.isInterface() ? 0 : Modifier.ABSTRACT));
        StringBuilder sb = new StringBuilder(Modifier.toString(mods)).append(mods == 0 ? "" : " ");
        if (type.isSealed()) {
            sb.append("sealed ");
        }
        sb.append(kind).append(' ').append(type.getSimpleName());
        if (type.getTypeParameters().length > 0) {
            sb.append(Arrays.stream(type.getTypeParameters()).map(t -> t.getName()
                    + (t.getBounds().length == 1 && t.getBounds()[0] == Object.class ? ""
                            : " extends " + Arrays.stream(t.getBounds()).map(java.lang.reflect.Type::getTypeName)
                                    .collect(Collectors.joining(" & "))))
                    .collect(Collectors.joining(", ", "<", ">")));
        }
        if (type.getGenericSuperclass() != null && type.getSuperclass() != Object.class && !type.isEnum() && !type.isRecord()) {
            sb.append(" extends ").append(type.getGenericSuperclass().getTypeName());
        }
        if (type.getGenericInterfaces().length > 0 && !type.isAnnotation()) {
            sb.append(type.isInterface() ? " extends " : " implements ").append(Arrays.stream(type.getGenericInterfaces())
                    .map(java.lang.reflect.Type::getTypeName).collect(Collectors.joining(", ")));
        }
        if (type.isSealed()) {
            sb.append(" permits ").append(Arrays.stream(type.getPermittedSubclasses()).map(Class::getName)
                    .collect(Collectors.joining(", ")));
        }
        return sb.toString();
    }

    private static String modifiers(int m) {
        int kept = m & (Modifier.PUBLIC | Modifier.PROTECTED | Modifier.STATIC | Modifier.FINAL | Modifier.ABSTRACT);
        return kept == 0 ? "" : Modifier.toString(kept) + " ";
    }

    private static String typeParameters(Method m) {
        if (m.getTypeParameters().length == 0) {
            return "";
        }
        return Arrays.stream(m.getTypeParameters()).map(t -> t.getName()
                + (t.getBounds().length == 1 && t.getBounds()[0] == Object.class ? ""
                        : " extends " + Arrays.stream(t.getBounds()).map(java.lang.reflect.Type::getTypeName)
                                .collect(Collectors.joining(" & "))))
                .collect(Collectors.joining(", ", "<", "> "));
    }

    private static String parameters(Executable e) {
        AnnotatedType[] types = e.getAnnotatedParameterTypes();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < types.length; i++) {
            out.add(annotated(types[i]) + (e.isVarArgs() && i == types.length - 1 ? " (varargs)" : ""));
        }
        return String.join(", ", out);
    }

    private static String exceptions(Executable e) {
        return e.getGenericExceptionTypes().length == 0 ? ""
                : " throws " + Arrays.stream(e.getGenericExceptionTypes()).map(java.lang.reflect.Type::getTypeName)
                        .collect(Collectors.joining(", "));
    }

    /** The type's name, marked {@code @Nullable} where JSpecify's annotation says null is allowed. */
    private static String annotated(AnnotatedType t) {
        boolean nullable = Arrays.stream(t.getAnnotations())
                .anyMatch(a -> a.annotationType().getName().equals("org.jspecify.annotations.Nullable"));
        return (nullable ? "@Nullable " : "") + t.getType().getTypeName();
    }
}
